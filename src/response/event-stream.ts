/** Where an event stream's text goes: implemented by each server adapter over its socket. */
export interface EventSink {
    /** Queues text for the client; false when the socket's buffer is full. */
    write(text: string): boolean;
    /** Resolves once the socket can take more, or is closed. */
    drained(): Promise<void>;
    /** Ends the response. */
    end(): void;
}

export type EventStreamCallback = (self: SSEResponse) => unknown;

// Symbol.for, so that an SSEResponse made by another copy of vshs (a route importing its own) still streams.
export const startStream = Symbol.for("vshs.SSEResponse.start");
export const clientGone = Symbol.for("vshs.SSEResponse.clientGone");

type Logger = (message: string, error: unknown) => void;

/**
 * Return one from a handler to answer with a stream of Server-Sent Events:
 * `return new SSEResponse(async (self) => { await self.send({ count: 1 }, "tick") })`.
 * The stream stays open after the callback returns, until the client leaves or `close()` is called.
 */
export class SSEResponse {
    /** Called once when the stream ends, whoever ended it. */
    onConnectionClosed: (() => void) | undefined = undefined;

    readonly #callback: EventStreamCallback;
    readonly #controller = new AbortController();
    #sink: EventSink | undefined;
    #log: Logger = console.error;

    constructor(callback: EventStreamCallback) {
        if (typeof callback !== "function") throw new TypeError("SSEResponse needs a callback function");
        this.#callback = callback;
    }

    /** Aborts when the stream ends. */
    get signal(): AbortSignal {
        return this.#controller.signal;
    }

    get closed(): boolean {
        return this.#controller.signal.aborted;
    }

    /**
     * Sends one event: `event: <event>` (if given) and `data: <data as JSON>`.
     * Resolves once the event is handed to the socket; rejects once the stream has ended.
     * A rejection nobody awaits is ignored, so a timer that keeps sending after a disconnect cannot crash the process.
     */
    send(data: unknown, event?: string): Promise<void> {
        if (this.closed || this.#sink === undefined) return quietRejection(new Error("The event stream is closed"));
        let text: string;
        try {
            text = formatEvent(data, event);
        } catch (error) {
            return quietRejection(error);
        }
        if (this.#sink.write(text)) return Promise.resolve();
        return quiet(this.#sink.drained().then(() => {
            if (this.closed) throw new Error("The event stream is closed");
        }));
    }

    /** Ends the stream from the server's side. */
    close(): void {
        if (this.closed) return;
        this.#finish();
        this.#sink?.end();
    }

    /** Called by the adapter once the headers are sent. */
    [startStream](sink: EventSink, log: Logger): void {
        this.#sink = sink;
        this.#log = log;
        // A comment, which EventSource ignores, so that the headers leave at once: Bun and some proxies
        // hold them back until the body's first bytes, and a quiet stream would look like a hung request.
        sink.write(":ok\n\n");
        Promise.resolve()
            .then(() => this.#callback(this))
            .catch((error: unknown) => {
                if (this.closed) return; // the usual end of a loop that sent after the client left
                this.#log("An event stream callback threw; the stream is closed", error);
                this.close();
            });
    }

    /** Called by the adapter when the client has gone away. */
    [clientGone](): void {
        if (!this.closed) this.#finish();
    }

    #finish(): void {
        this.#controller.abort();
        try {
            this.onConnectionClosed?.();
        } catch (error) {
            this.#log("onConnectionClosed threw", error);
        }
    }
}

export function isSSEResponse(value: unknown): value is SSEResponse {
    return value instanceof SSEResponse || (typeof value === "object" && value !== null && typeof (value as Record<symbol, unknown>)[startStream] === "function");
}

export const eventStreamHeaders = {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    "x-accel-buffering": "no",
} as const;

function formatEvent(data: unknown, event: string | undefined): string {
    const json = JSON.stringify(data) ?? "";
    if (event === undefined || event === "") return `data: ${json}\n\n`;
    if (/[\r\n]/.test(event)) throw new TypeError("An event name cannot contain a line break");
    return `event: ${event}\ndata: ${json}\n\n`;
}

function quiet(promise: Promise<void>): Promise<void> {
    promise.catch(() => {});
    return promise;
}

function quietRejection(error: unknown): Promise<void> {
    return quiet(Promise.reject(error));
}
