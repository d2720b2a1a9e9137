import { createHash } from "node:crypto";
import { ErrorReply } from "@redis/client";
import { describe, RedisConnection } from "../channels/redis-connection.ts";
import type { Limit, LimitStore, Verdict } from "./sliding-window.ts";

/** A limit's counts for one key are the hash `vshs:rate-limit:<namespace>:<key>` (the namespace URI-encoded, so it holds no ":"). */
const prefix = "vshs:rate-limit:";

/**
 * sliding-window.ts's countRequest, in one atomic step, on Redis's clock (the same for every machine).
 * Returns 0 when the request is allowed and counted, else the ms until it would be. The hash expires
 * when its counts stop mattering: nothing stays for a client that has gone. Numbers written are
 * formatted with %d: Lua would print a large one as 1.7e+12.
 */
const script = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local window = tonumber(ARGV[1])
local max = tonumber(ARGV[2])
local index = math.floor(now / window)
local kept = redis.call('HMGET', KEYS[1], 'index', 'current', 'previous')
local current = tonumber(kept[2]) or 0
local previous = tonumber(kept[3]) or 0
local keptIndex = tonumber(kept[1])
if keptIndex ~= index then
    if keptIndex == index - 1 then previous = current else previous = 0 end
    current = 0
end
local elapsed = (now - index * window) / window
if previous * (1 - elapsed) + current < max then
    redis.call('HSET', KEYS[1], 'index', string.format('%d', index), 'current', string.format('%d', current + 1), 'previous', string.format('%d', previous))
    redis.call('PEXPIRE', KEYS[1], string.format('%d', (index + 2) * window - now))
    return 0
end
local wait = 1 - elapsed
if previous > 0 then wait = wait - (max - current) / previous end
return math.ceil(wait * window) + 1`;

const scriptSha = createHash("sha1").update(script).digest("hex");

/**
 * Rate limits across processes and machines through Redis, on a connection of their own (the same
 * helper as channels: reconnection, and one log line for a loss and one for the return). A hit while
 * Redis is away fails (the request answers 500) rather than letting every client through.
 */
export class RedisStore implements LimitStore {
    readonly #connection: RedisConnection;

    private constructor(url: string, timeout: number) {
        this.#connection = new RedisConnection(url, "rate-limit", { timeout });
    }

    /** Resolves once connected; rejects naming the URL if Redis cannot be reached. */
    static async connect(url: string, timeout: number): Promise<RedisStore> {
        const store = new RedisStore(url, timeout);
        try {
            await store.#connection.open();
        } catch (error) {
            store.#connection.destroy();
            const where = store.#connection.shownUrl;
            throw new Error(error instanceof ErrorReply ? `Redis at ${where} refused the connection: ${describe(error)}` : `Cannot reach Redis at ${where}: ${describe(error)}`);
        }
        return store;
    }

    async hit({ namespace, window, max }: Limit, key: string): Promise<Verdict> {
        const options = { keys: [`${prefix}${encodeURIComponent(namespace)}:${key}`], arguments: [String(window), String(max)] };
        const retryAfterMs = Number(await this.#connection.ask(() => this.#run(options)));
        return retryAfterMs === 0 ? { allowed: true } : { allowed: false, retryAfterMs };
    }

    /** None: Redis keeps the counts. */
    keptKeys(): number {
        return 0;
    }

    close(): Promise<void> {
        return this.#connection.close();
    }

    /** The script by its hash; sent whole only when this Redis does not have it yet (after a restart, say). */
    async #run(options: { keys: string[]; arguments: string[] }): Promise<unknown> {
        const client = this.#connection.client;
        try {
            return await client.evalSha(scriptSha, options);
        } catch (error) {
            if (!(error instanceof ErrorReply) || !error.message.startsWith("NOSCRIPT")) throw error;
            return client.eval(script, options);
        }
    }
}
