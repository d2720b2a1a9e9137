import { closeWithRetry, type SSEResponse } from "./event-stream.ts";

/** How long clients are told to wait before reconnecting when the server ends their streams, in ms. */
const reconnectAfter = 1000;

/**
 * The event streams a server holds open, with the handler that opened each: shutdown ends them all,
 * and a watch-mode reload ends those whose handler was replaced, so none is left running old code.
 */
export class OpenStreams {
    readonly #streams = new Map<SSEResponse, unknown>();

    get size(): number {
        return this.#streams.size;
    }

    add(stream: SSEResponse, origin: unknown): void {
        this.#streams.set(stream, origin);
    }

    has(stream: SSEResponse): boolean {
        return this.#streams.has(stream);
    }

    /** False if it was not (or no longer) open. */
    delete(stream: SSEResponse): boolean {
        return this.#streams.delete(stream);
    }

    /** Ends every stream with a `retry:` hint, spread over a second so that clients do not all come back at once. */
    closeAll(): void {
        this.closeWhere(() => true);
    }

    /** Ends, with a `retry:` hint, the streams whose opening handler is `stale`. */
    closeWhere(stale: (origin: unknown) => boolean): void {
        for (const [stream, origin] of this.#streams) {
            if (stale(origin)) stream[closeWithRetry](reconnectAfter + Math.random() * reconnectAfter);
        }
    }
}
