/**
 * The counting rule of every store: a sliding-window counter. Time is cut into windows of `window` ms
 * (the same for every process: multiples of `window` since the epoch); each key keeps the count of
 * the current window and of the one before. A request is allowed while
 *
 *     previous × (the share of the previous window the sliding window still covers) + current < max
 *
 * This allows at most `max` in each window, as a fixed window does, and also weighs the end of the
 * previous window: a client cannot spend `max` just before a boundary and `max` again just after it.
 * A refused request is not counted, so a client that keeps retrying is let in once its rate falls.
 * redis.ts does the same in Lua; both must change together.
 */

/** A limit as the stores see it: its counters' namespace (one per rateLimit(), or per name), window and max. */
export interface Limit {
    readonly namespace: string;
    /** ms */
    readonly window: number;
    readonly max: number;
}

/** What a store says of one request: allowed (and counted), or refused until `retryAfterMs` from now. */
export type Verdict = { allowed: true } | { allowed: false; retryAfterMs: number };

/** Where the counts are kept: this process, the cluster primary, or Redis. */
export interface LimitStore {
    /** Counts a request for `key` under `limit` unless that would exceed it. */
    hit(limit: Limit, key: string): Verdict | Promise<Verdict>;
    /** How many keys this process keeps counts for (for tests). */
    keptKeys(): number;
    /** Lets go of connections and listeners. */
    close(): Promise<void>;
}

/** One key's counts: `current` in window number `index`, `previous` in the one before. */
export interface WindowCount {
    index: number;
    current: number;
    previous: number;
}

const allowed: Verdict = Object.freeze({ allowed: true });

/** Counts one request at `now` (ms since the epoch) unless over the limit; updates `count`. */
export function countRequest(count: WindowCount, window: number, max: number, now: number): Verdict {
    const index = Math.floor(now / window);
    if (count.index !== index) {
        count.previous = count.index === index - 1 ? count.current : 0;
        count.current = 0;
        count.index = index;
    }
    const elapsed = (now - index * window) / window;
    if (count.previous * (1 - elapsed) + count.current < max) {
        count.current++;
        return allowed;
    }
    // Without new requests the estimate falls linearly through this window (the previous one's weight
    // fades), then through the next (this one's does): it reaches max this much later, and is below it
    // from the next ms on (one more absorbs the rounding of the division).
    const wait = count.previous > 0 ? 1 - elapsed - (max - count.current) / count.previous : 1 - elapsed;
    return { allowed: false, retryAfterMs: Math.ceil(wait * window) + 1 };
}

/** How many keys a store of this process keeps counts for, unless told: the least recently seen go first. */
export const defaultKeysKept = 100_000;

interface Entry extends WindowCount {
    /** When these counts stop mattering: the end of the window after `index`. */
    expires: number;
}

/**
 * The counts of one process (or of the cluster primary, for all its workers). Keys come from clients,
 * so their number is bounded: counts expire two windows after their key was last seen, and past
 * `keysKept` keys the least recently seen is forgotten (that client starts afresh).
 */
export class LocalStore implements LimitStore {
    /** Least recently seen first: a Map iterates in insertion order, and each hit re-inserts. */
    readonly #entries = new Map<string, Entry>();
    readonly #keysKept: number;
    readonly #clock: () => number;

    constructor(keysKept = defaultKeysKept, clock: () => number = Date.now) {
        this.#keysKept = Math.max(1, keysKept);
        this.#clock = clock;
    }

    hit(limit: Limit, key: string): Verdict {
        const now = this.#clock();
        const id = `${limit.namespace}\n${key}`;
        const entry = this.#entries.get(id) ?? { index: 0, current: 0, previous: 0, expires: 0 };
        this.#entries.delete(id);
        const verdict = countRequest(entry, limit.window, limit.max, now);
        entry.expires = (entry.index + 2) * limit.window;
        this.#entries.set(id, entry);
        this.#letGo(now);
        return verdict;
    }

    keptKeys(): number {
        return this.#entries.size;
    }

    async close(): Promise<void> {
        this.#entries.clear();
    }

    /**
     * Past the bound, the least recently seen key goes; and the two least recently seen go if expired,
     * so that entries expire without a timer, at a cost that does not grow with the number of keys.
     */
    #letGo(now: number): void {
        if (this.#entries.size > this.#keysKept) this.#entries.delete(this.#entries.keys().next().value!);
        let looked = 0;
        for (const [id, entry] of this.#entries) {
            if (looked++ === 2 || entry.expires > now) return;
            this.#entries.delete(id);
        }
    }
}
