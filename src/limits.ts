import { StartupError } from "./errors.ts";
import type { StartOptions } from "./types.ts";

/**
 * What a client may send and how long it may take: every bound the server puts on a request, with the
 * default that holds when the option is not given. The README's "Limits and timeouts" table is checked
 * against this object by a test.
 */
export const limitDefaults = {
    /** Bytes of request body (declared or streamed, chunked too) → 413. */
    maxBodySize: 1024 * 1024,
    /** Bytes of request line and headers together → 431. Node's own default. */
    maxHeaderSize: 16 * 1024,
    /** Characters of request target (path and query) → 414. */
    maxUrlLength: 8 * 1024,
    /** Fields of a urlencoded or multipart/form-data body → 413. */
    maxFields: 1000,
    /** Files of a multipart/form-data body → 413. */
    maxFiles: 100,
    /** Nesting of arrays and objects in a JSON body → 400. */
    maxJsonDepth: 64,
    /** ms for the request line and headers to arrive (slowloris) → 408, connection closed. */
    headersTimeout: 10_000,
    /** ms a request body may stay silent between two chunks (slow uploads) → 408, connection closed. */
    bodyTimeout: 10_000,
    /** ms for a whole request, headers and body, to arrive → 408, connection closed. */
    requestTimeout: 60_000,
    /** ms an idle keep-alive connection stays open between requests. */
    keepAliveTimeout: 5_000,
    /** ms a handler may take to return its value → 503; 0: no limit. */
    handlerTimeout: 30_000,
    /** Bytes an event stream's client may leave unread before it is cut off. */
    maxEventBuffer: 1024 * 1024,
    /** ms `close()` waits for requests in flight before closing their connections. */
    shutdownTimeout: 10_000,
} as const;

export type Limits = { -readonly [name in keyof typeof limitDefaults]: number };

const largestTimer = 2 ** 31 - 1;

/** The limits asked for in the options, each checked, the defaults for the others. */
export function limitsFrom(options: StartOptions): Limits {
    const limits = {} as Limits;
    for (const name of Object.keys(limitDefaults) as (keyof Limits)[]) {
        const max = name.endsWith("Timeout") ? largestTimer : Number.MAX_SAFE_INTEGER;
        limits[name] = checkNumber(name, options[name] ?? limitDefaults[name], 0, max);
    }
    return limits;
}

export function checkNumber(option: string, value: number, min: number, max: number): number {
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
        throw new StartupError(`The ${option} option must be a whole number from ${min} to ${max}, not ${JSON.stringify(value)}`);
    }
    return value;
}
