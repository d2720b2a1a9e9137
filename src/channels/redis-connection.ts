// @redis/client: the core of node-redis, Redis's own client (no dependencies; scripts, pub/sub, reconnection), without the modules `redis` adds.
import { createClient, ErrorReply } from "@redis/client";
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
    readonly #timeout: number;
    #connected = false;
    #down = false;

    /**
     * `timeout`: how long a command may wait for its answer, in ms (0: no limit), so that a Redis that
     * hangs fails commands as one that is gone does. `onLost`: called each time the connection is
     * lost; `onBack`: each time it returns after a loss, once the subscriptions are renewed.
     */
    constructor(url: string, role: string, { timeout = 0, onLost, onBack }: { timeout?: number; onLost?: () => void; onBack?: () => void } = {}) {
        this.shownUrl = hidePassword(url);
        this.#role = role;
        this.#timeout = timeout;
        this.client = createClient({
            url,
            // A publish while Redis is away fails at once (the handler answers 503) instead of waiting in memory.
            disableOfflineQueue: true,
            scripts,
            socket: { reconnectStrategy: (retries) => (this.#connected ? Math.min(100 * 2 ** retries, 3000) : false) },
        });
        this.client.on("error", (error: Error) => {
            if (!this.#connected || this.#down) return; // before: connect() reports it; during an outage: said once already
            this.#down = true;
            onLost?.();
            console.error(`vshs: lost the ${this.#role} connection to Redis at ${this.shownUrl} (${describe(error)}); reconnecting`);
        });
        this.client.on("ready", () => {
            if (!this.#down) return;
            console.error(`vshs: the ${this.#role} connection to Redis at ${this.shownUrl} is back`);
            this.#down = false;
            onBack?.();
        });
    }

    /**
     * Runs a command, saying in its error which Redis failed it and whether the command may have run
     * there: a command refused before it was sent did not, one that timed out or lost its connection
     * after it was sent may have.
     */
    async ask<T>(command: () => Promise<T>): Promise<T> {
        const sentWhileReady = this.client.isReady;
        let timer: ReturnType<typeof setTimeout> | undefined;
        try {
            const answer = command();
            if (this.#timeout === 0) return await answer;
            answer.catch(() => {}); // its failure after the timeout is nobody's concern
            // The client's own command timeout stops once a command is written: a Redis that hangs
            // (frozen, swapping) accepts the bytes and never answers, so the wait for the answer is bounded here.
            const noAnswer = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new NoAnswer(this.#timeout)), this.#timeout)));
            return await Promise.race([answer, noAnswer]);
        } catch (error) {
            throw new RedisCommandError(`Redis at ${this.shownUrl}: ${describe(error)}`, sentWhileReady && !(error instanceof ErrorReply), { cause: error });
        } finally {
            clearTimeout(timer);
        }
    }

    /** Resolves once the connection is up, or after `ms` if it is not back by then (what is asked of it then fails). */
    whenReady(ms: number): Promise<void> {
        if (this.client.isReady || !this.#connected) return Promise.resolve();
        return new Promise((resolve) => {
            const done = () => {
                clearTimeout(timer);
                this.client.off("ready", done);
                resolve();
            };
            const timer = setTimeout(done, ms);
            this.client.on("ready", done);
        });
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

/** A command that failed; `mayHaveRun` when Redis may have carried it out all the same (it timed out, or the connection broke after it was sent). */
export class RedisCommandError extends Error {
    readonly mayHaveRun: boolean;

    constructor(message: string, mayHaveRun: boolean, options: ErrorOptions) {
        super(message, options);
        this.mayHaveRun = mayHaveRun;
    }
}

class NoAnswer extends Error {
    constructor(ms: number) {
        super(`no answer within ${ms} ms`);
    }
}
