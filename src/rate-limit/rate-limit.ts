import { HTTPError } from "../errors.ts";
import type { HandlerParams, Middleware } from "../types.ts";
import { addressKey, keptKey } from "./keys.ts";
import type { Limit } from "./sliding-window.ts";
import { rateLimitHub } from "./stores.ts";

export interface RateLimitOptions {
    /** The window, in ms: a whole number from 1 to a year's worth. */
    window: number;
    /** The requests allowed per key within a window: a whole number from 1. */
    max: number;
    /** What requests are counted by. Default: the client's address (an IPv6 one as its /64 network); see the `trustProxy` option behind a proxy. */
    key?: (params: HandlerParams) => string | Promise<string>;
    /** The policy's name in the RateLimit headers (default "default"). Limiters of one name and window share their counts. */
    name?: string;
}

const longestWindow = 365 * 24 * 60 * 60 * 1000;
const mostRequests = 1_000_000_000;

/**
 * A middleware allowing at most `max` requests per `window` ms per key, then answering 429 with
 * `Retry-After` and the `RateLimit-Policy` and `RateLimit` headers (draft-ietf-httpapi-ratelimit-headers-11).
 * The counts are kept by this process, by the cluster primary under `--workers`, or by Redis when the
 * server has a `redisUrl`, so that a limit holds across processes and machines (sliding-window.ts says how they count).
 */
export function rateLimit(options: RateLimitOptions): Middleware {
    const { window, max, key = defaultKey, name } = checked(options);
    const limit: Limit = { namespace: rateLimitHub.namespace(name, window, max), window, max };
    const policy = structuredString(name ?? "default");
    // The draft's window is whole seconds: a window that is not says nothing rather than something wrong.
    const policyHeader = `${policy};q=${max}${window % 1000 === 0 ? `;w=${window / 1000}` : ""}`;
    const per = describeWindow(window);
    return async (params: HandlerParams) => {
        const verdict = await rateLimitHub.hit(limit, keptKey(await keyOf(key, params)));
        if (verdict.allowed) return undefined;
        const seconds = Math.ceil(verdict.retryAfterMs / 1000);
        throw new HTTPError(429, `Too many requests: at most ${max} per ${per}. Try again in ${seconds} second${seconds === 1 ? "" : "s"}.`, {
            "retry-after": String(seconds),
            "ratelimit-policy": policyHeader,
            ratelimit: `${policy};r=0;t=${seconds}`,
        });
    };
}

function defaultKey({ request }: HandlerParams): string {
    return addressKey(request.ip);
}

async function keyOf(key: NonNullable<RateLimitOptions["key"]>, params: HandlerParams): Promise<string> {
    const value = await key(params);
    if (typeof value !== "string") throw new TypeError(`rateLimit: the key function must return a string, not ${shown(value)}`);
    return value;
}

/** The options, or a one-line TypeError naming the first one that is wrong. */
function checked(options: RateLimitOptions): RateLimitOptions {
    if (typeof options !== "object" || options === null) throw new TypeError("rateLimit needs its options, e.g. rateLimit({ window: 60_000, max: 100 })");
    wholeNumber("window", options.window, longestWindow, "milliseconds");
    wholeNumber("max", options.max, mostRequests, "requests");
    if (options.key !== undefined && typeof options.key !== "function") {
        throw new TypeError(`rateLimit: "key" must be a function of the handler's parameters returning a string, not ${shown(options.key)}`);
    }
    if (options.name !== undefined && (typeof options.name !== "string" || !/^[\x20-\x7e]{1,100}$/.test(options.name))) {
        throw new TypeError(`rateLimit: "name" must be 1 to 100 printable ASCII characters (it is sent in the RateLimit headers), not ${shown(options.name)}`);
    }
    return options;
}

function wholeNumber(option: string, value: unknown, most: number, unit: string): void {
    if (typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= most) return;
    throw new TypeError(`rateLimit: "${option}" must be a whole number of ${unit} from 1 to ${most}, not ${shown(value)}`);
}

function shown(value: unknown): string {
    return typeof value === "string" ? JSON.stringify(value) : typeof value === "function" ? "a function" : String(value);
}

/** A Structured Field string (RFC 8941): quoted, with `"` and `\` escaped. */
function structuredString(text: string): string {
    return `"${text.replace(/["\\]/g, "\\$&")}"`;
}

const units: [ms: number, name: string][] = [
    [24 * 60 * 60 * 1000, "day"],
    [60 * 60 * 1000, "hour"],
    [60 * 1000, "minute"],
    [1000, "second"],
];

/** `minute`, `5 minutes`, `1500 ms`: the window as the 429's message says it. */
export function describeWindow(window: number): string {
    for (const [ms, name] of units) {
        if (window % ms === 0) return window === ms ? name : `${window / ms} ${name}s`;
    }
    return `${window} ms`;
}
