import { closeWithRetry, heartbeat, startStream, type EventSink, type SSEResponse, type StreamStart } from "./event-stream.ts";

/** A stream quiet for this long gets a comment line, so that proxies keep it open, in ms. */
export const defaultHeartbeatInterval = 15_000;

/** How long clients are told to wait before reconnecting when the server ends their streams, in ms. */
const reconnectAfter = 1000;

export interface StreamSettings {
    /** Ms of quiet before a stream gets a comment line; 0 for none. */
    heartbeatInterval: number;
    /** Bytes a client may leave unread before it is cut off. */
    maxEventBuffer: number;
    log: StreamStart["log"];
}

/**
 * The event streams a server holds open, with the handler that opened each: adapters open them here,
 * with the server's settings; shutdown ends them all,
 * a watch-mode reload ends those whose handler was replaced, so none is left running old code, and
 * one timer sends the heartbeats of all (a timer per stream would cost memory on every stream).
 * A stream whose handler was still working when shutdown or the reload came opens to be ended at once
 * (with the same `retry:` hint), or it would hold the shutdown up, or run old code.
 */
export class OpenStreams {
    readonly #streams = new Map<SSEResponse, unknown>();
    readonly #heartbeatInterval: number;
    readonly #maxEventBuffer: number;
    readonly #log: StreamStart["log"];
    #ticker: ReturnType<typeof setInterval> | undefined;
    #closing = false;
    #isStale: (origin: unknown) => boolean = () => false;

    constructor({ heartbeatInterval, maxEventBuffer, log }: StreamSettings) {
        this.#heartbeatInterval = heartbeatInterval;
        this.#maxEventBuffer = maxEventBuffer;
        this.#log = log;
    }

    get size(): number {
        return this.#streams.size;
    }

    /** Called by an adapter once the headers are sent: the stream starts writing to `sink`. */
    open(stream: SSEResponse, origin: unknown, sink: EventSink, lastEventId: string | undefined): void {
        this.#streams.set(stream, origin);
        if (this.#ticker === undefined && this.#heartbeatInterval > 0) this.#startTicker();
        stream[startStream](sink, { log: this.#log, maxEventBuffer: this.#maxEventBuffer, lastEventId });
        if (this.#closing || this.#isStale(origin)) stream[closeWithRetry](reconnectDelay());
    }

    has(stream: SSEResponse): boolean {
        return this.#streams.has(stream);
    }

    /** False if it was not (or no longer) open. */
    delete(stream: SSEResponse): boolean {
        const deleted = this.#streams.delete(stream);
        if (this.#streams.size === 0) this.#ticker = void clearInterval(this.#ticker);
        return deleted;
    }

    /** Ends every stream, and those opened from now on, with a `retry:` hint (shutdown). */
    closeAll(): void {
        this.#closing = true;
        this.#closeWhere(() => true);
    }

    /** Ends, with a `retry:` hint, the streams whose opening handler is stale now, and any opened by one later. */
    closeStale(isStale: (origin: unknown) => boolean): void {
        this.#isStale = isStale;
        this.#closeWhere(isStale);
    }

    #closeWhere(close: (origin: unknown) => boolean): void {
        for (const [stream, origin] of this.#streams) {
            if (close(origin)) stream[closeWithRetry](reconnectDelay());
        }
    }

    // Checked four times per interval: a quiet stream hears within 1¼ intervals, never before one.
    #startTicker(): void {
        const interval = this.#heartbeatInterval;
        this.#ticker = setInterval(() => {
            const now = performance.now();
            for (const stream of this.#streams.keys()) stream[heartbeat](now, interval);
        }, Math.max(interval / 4, 5));
        this.#ticker.unref?.();
    }
}

/** Spread over a second, so that the clients of a server going away do not all come back at once. */
function reconnectDelay(): number {
    return reconnectAfter + Math.random() * reconnectAfter;
}
