/**
 * Whether an event stream or WebSocket has ended, and the AbortSignal that tells handlers so. `ended`
 * is a plain field, read on every send: an AbortSignal's own state costs a call into the runtime's
 * internals each time. The AbortController is made only when a handler first asks for the signal,
 * which most never do.
 */
export class EndSignal {
    ended = false;
    #controller: AbortController | undefined;

    get signal(): AbortSignal {
        if (this.#controller === undefined) {
            this.#controller = new AbortController();
            if (this.ended) this.#controller.abort();
        }
        return this.#controller.signal;
    }

    /** Marks the end, and aborts the signal if one was handed out (its listeners run now). */
    end(): void {
        this.ended = true;
        this.#controller?.abort();
    }
}
