/**
 * Many deadlines of one length (every request's handler, every request body) on one timer. A deadline
 * is a link in a list kept in the order they were started or last touched, so starting, touching and
 * cancelling one are a few property writes (no hashing, no timer of its own), and the timer only looks
 * at the oldest. No clock is read per request: the timer stamps, on each tick, the deadlines started or
 * touched since the tick before with the time it reads, which is never before they were. A deadline thus
 * fires once `timeout` has passed by that stamp — never early, even when the event loop was blocked and
 * the tick late, and when it is not, within a quarter of `timeout` after (at most a second).
 */
export interface Deadline {
    /** Starts the wait again (a body chunk arrived). */
    touch(): void;
    /** Stops the deadline; false if it has already fired (or was cancelled). */
    cancel(): boolean;
}

/** The list's own operations, for its links: a symbol this module keeps, so that no one else relinks them. */
const relink = Symbol("relink");
const unlink = Symbol("unlink");

export class Deadlines {
    readonly timeout: number;
    /** The deadline started or touched longest ago, and the latest one. */
    #head: Link | null = null;
    #tail: Link | null = null;
    /** The first of the deadlines started or touched since the last tick: they still await their stamp. */
    #unstamped: Link | null = null;
    readonly #tick: number;
    #timer: ReturnType<typeof setInterval> | undefined;

    /** `timeout` in ms; 0 for none (start() then returns null). */
    constructor(timeout: number) {
        this.timeout = timeout;
        this.#tick = Math.max(5, Math.min(500, Math.floor(timeout / 8)));
    }

    /** Calls `onExpire` once `timeout` ms pass without a touch(); null when there is no timeout. */
    start(onExpire: () => void): Deadline | null {
        if (this.timeout === 0) return null;
        if (this.#timer === undefined) {
            this.#timer = setInterval(() => this.#expire(), this.#tick);
            (this.#timer as { unref?: () => void }).unref?.(); // Node, Bun: a pending deadline does not keep the process alive
        }
        const link = new Link(this, onExpire);
        this.#append(link);
        return link;
    }

    #expire(): void {
        const now = Date.now();
        for (let link = this.#unstamped; link !== null; link = link.next) link.stamp = now;
        this.#unstamped = null;
        const oldest = now - this.timeout;
        while (this.#head !== null && this.#head.stamp <= oldest) {
            const expired = this.#head;
            this[unlink](expired);
            expired.onExpire();
        }
        if (this.#head === null) {
            clearInterval(this.#timer);
            this.#timer = undefined;
        }
    }

    [relink](link: Link): void {
        if (this.#tail === link) {
            link.stamp = Infinity;
            this.#unstamped ??= link;
            return;
        }
        this[unlink](link);
        this.#append(link);
    }

    #append(link: Link): void {
        link.previous = this.#tail;
        link.next = null;
        if (this.#tail === null) this.#head = link;
        else this.#tail.next = link;
        this.#tail = link;
        // Unstamped until the next tick: never expired before it, even by a deadline's onExpire that starts or touches one.
        link.stamp = Infinity;
        this.#unstamped ??= link;
        link.linked = true;
    }

    [unlink](link: Link): void {
        if (this.#unstamped === link) this.#unstamped = link.next;
        if (link.previous === null) this.#head = link.next;
        else link.previous.next = link.next;
        if (link.next === null) this.#tail = link.previous;
        else link.next.previous = link.previous;
        link.previous = link.next = null;
        link.linked = false;
    }
}

class Link implements Deadline {
    /** When the timer first saw this deadline since it was started or touched (Infinity until it has). */
    stamp = Infinity;
    previous: Link | null = null;
    next: Link | null = null;
    linked = false;
    readonly onExpire: () => void;
    readonly #list: Deadlines;

    constructor(list: Deadlines, onExpire: () => void) {
        this.#list = list;
        this.onExpire = onExpire;
    }

    touch(): void {
        if (this.linked) this.#list[relink](this);
    }

    cancel(): boolean {
        if (!this.linked) return false;
        this.#list[unlink](this);
        return true;
    }
}
