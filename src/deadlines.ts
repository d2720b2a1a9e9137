/**
 * Many deadlines of one length (every request's handler, every request body) on one timer. A deadline
 * is a link in a list kept in the order they were started or last touched, so starting, touching and
 * cancelling one are a few property writes (no hashing, no timer of its own), and the timer only looks
 * at the oldest. Times come from a clock the timer itself reads on each tick, rather than Date.now() per
 * request: a deadline may then be stamped up to one tick early, so it fires only once `timeout` plus a
 * tick has passed by that clock — between `timeout` and `timeout` plus a quarter of it (at most a second)
 * after it was started or last touched.
 */
export class Deadlines {
    readonly timeout: number;
    /** The list's ends: `head` is the deadline started or touched longest ago. */
    head: Deadline | null = null;
    tail: Deadline | null = null;
    /** The clock deadlines are stamped with, read when the timer starts and on each of its ticks. */
    now = 0;
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
        if (this.#timer === undefined) this.#startTimer();
        const deadline = new Deadline(this, onExpire);
        deadline.append();
        return deadline;
    }

    #startTimer(): void {
        this.now = Date.now();
        this.#timer = setInterval(() => this.#expire(), this.#tick);
        (this.#timer as { unref?: () => void }).unref?.(); // Node, Bun: a pending deadline does not keep the process alive
    }

    #expire(): void {
        this.now = Date.now();
        const oldest = this.now - this.timeout - this.#tick;
        while (this.head !== null && this.head.touched <= oldest) {
            const expired = this.head;
            expired.unlink();
            expired.onExpire();
        }
        if (this.head === null) {
            clearInterval(this.#timer);
            this.#timer = undefined;
        }
    }
}

export class Deadline {
    touched: number;
    readonly onExpire: () => void;
    readonly #list: Deadlines;
    #previous: Deadline | null = null;
    #next: Deadline | null = null;
    #linked = false;

    constructor(list: Deadlines, onExpire: () => void) {
        this.#list = list;
        this.onExpire = onExpire;
        this.touched = list.now;
    }

    /** Starts the wait again (a body chunk arrived): the deadline moves to the young end of the list. */
    touch(): void {
        if (!this.#linked) return;
        this.touched = this.#list.now;
        if (this.#list.tail === this) return;
        this.unlink();
        this.append();
    }

    /** Stops the deadline; false if it has already fired (or was cancelled). */
    cancel(): boolean {
        if (!this.#linked) return false;
        this.unlink();
        return true;
    }

    append(): void {
        const list = this.#list;
        this.#previous = list.tail;
        this.#next = null;
        if (list.tail === null) list.head = this;
        else list.tail.#next = this;
        list.tail = this;
        this.#linked = true;
    }

    unlink(): void {
        const list = this.#list;
        if (this.#previous === null) list.head = this.#next;
        else this.#previous.#next = this.#next;
        if (this.#next === null) list.tail = this.#previous;
        else this.#next.#previous = this.#previous;
        this.#previous = this.#next = null;
        this.#linked = false;
    }
}
