/**
 * Many deadlines of one length (every request's handler, every request body) on one timer: a Set entry
 * and a Date.now() per request instead of a timer of its own. A deadline fires between `timeout` and
 * `timeout` plus a quarter of it (at most a second) after it was started or last touched.
 */
export class Deadlines {
    readonly timeout: number;
    readonly #running = new Set<Deadline>();
    #timer: ReturnType<typeof setInterval> | undefined;

    /** `timeout` in ms; 0 for none (start() then returns null). */
    constructor(timeout: number) {
        this.timeout = timeout;
    }

    /** Calls `onExpire` once `timeout` ms pass without a touch(); null when there is no timeout. */
    start(onExpire: () => void): Deadline | null {
        if (this.timeout === 0) return null;
        const deadline = new Deadline(this.#running, onExpire);
        this.#running.add(deadline);
        if (this.#timer === undefined) {
            this.#timer = setInterval(() => this.#expire(), Math.max(10, Math.min(1000, Math.floor(this.timeout / 4))));
            (this.#timer as { unref?: () => void }).unref?.(); // Node, Bun: a pending deadline does not keep the process alive
        }
        return deadline;
    }

    #expire(): void {
        const now = Date.now();
        for (const deadline of this.#running) {
            if (now - deadline.touched >= this.timeout) {
                this.#running.delete(deadline);
                deadline.onExpire();
            }
        }
        if (this.#running.size === 0) {
            clearInterval(this.#timer);
            this.#timer = undefined;
        }
    }
}

export class Deadline {
    touched = Date.now();
    readonly #running: Set<Deadline>;
    readonly onExpire: () => void;

    constructor(running: Set<Deadline>, onExpire: () => void) {
        this.#running = running;
        this.onExpire = onExpire;
    }

    /** Starts the wait again (a body chunk arrived). */
    touch(): void {
        this.touched = Date.now();
    }

    /** Stops the deadline; false if it has already fired. */
    cancel(): boolean {
        return this.#running.delete(this);
    }
}
