// @redis/client: the core of node-redis, Redis's own client (no dependencies; scripts, pub/sub, reconnection), without the modules `redis` adds.
import { createClient } from "@redis/client";
import { scripts } from "./redis-script.ts";
import { hidePassword } from "./transport.ts";

/**
 * One connection to Redis. Failing to connect the first time is final (connect() rejects with why);
 * once connected, the client reconnects by itself, and the loss and the return are logged once each.
 */
export class RedisConnection {
    readonly client;
    readonly shownUrl: string;
    readonly #role: string;
    #connected = false;
    #down = false;

    constructor(url: string, role: string) {
        this.shownUrl = hidePassword(url);
        this.#role = role;
        this.client = createClient({
            url,
            // A publish while Redis is away fails at once (the handler answers 500) instead of waiting in memory.
            disableOfflineQueue: true,
            scripts,
            socket: { reconnectStrategy: (retries) => (this.#connected ? Math.min(100 * 2 ** retries, 3000) : false) },
        });
        this.client.on("error", (error: Error) => {
            if (!this.#connected || this.#down) return; // before: connect() reports it; during an outage: said once already
            this.#down = true;
            console.error(`vshs: lost the ${this.#role} connection to Redis at ${this.shownUrl} (${describe(error)}); reconnecting`);
        });
        this.client.on("ready", () => {
            if (this.#down) console.error(`vshs: the ${this.#role} connection to Redis at ${this.shownUrl} is back`);
            this.#down = false;
        });
    }

    /** Runs a command, saying in its error which Redis failed it (for the log of the request that asked). */
    async ask<T>(command: () => Promise<T>): Promise<T> {
        try {
            return await command();
        } catch (error) {
            throw new Error(`Redis at ${this.shownUrl}: ${describe(error)}`, { cause: error });
        }
    }

    async open(): Promise<void> {
        await this.client.connect();
        this.#connected = true;
    }

    async close(): Promise<void> {
        this.#connected = false;
        try {
            await this.client.close();
        } catch {
            this.client.destroy(); // not open (Redis away): nothing to wait for
        }
    }

    destroy(): void {
        this.#connected = false;
        this.client.destroy();
    }
}

export function describe(error: unknown): string {
    if (error instanceof AggregateError && error.errors.length > 0) return describe(error.errors[0]);
    if (!(error instanceof Error)) return String(error);
    const code = (error as { code?: unknown }).code;
    return error.message || (typeof code === "string" ? code : error.name);
}
