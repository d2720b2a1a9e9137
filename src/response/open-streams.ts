import type { EventSink, EventStream } from "../contract.ts";
import type { Handler } from "../types.ts";
import { clientGone, closeWithRetry, heartbeat, startStream } from "../symbols.ts";
import type { SSEResponse, StreamStart } from "./event-stream.ts";

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
 * The event streams a server holds open, with the handler that returned each: the pipeline answers
 * with a stream made here, which adapters open with the server's settings; shutdown ends them all,
 * a watch-mode reload ends those whose handler was replaced, so none is left running old code, and
 * one timer sends the heartbeats of all (a timer per stream would cost memory on every stream).
 * A stream whose handler was still working when shutdown or the reload came opens to be ended at once
 * (with the same `retry:` hint), or it would hold the shutdown up, or run old code.
 */
export class OpenStreams {
    readonly #streams = new Map<SSEResponse, Handler>();
    readonly #heartbeatInterval: number;
    readonly #maxEventBuffer: number;
    readonly #log: StreamStart["log"];
    #ticker: ReturnType<typeof setInterval> | undefined;
    #closing = false;
    #isStale: (handler: Handler) => boolean = () => false;

    constructor({ heartbeatInterval, maxEventBuffer, log }: StreamSettings) {
        this.#heartbeatInterval = heartbeatInterval;
        this.#maxEventBuffer = maxEventBuffer;
        this.#log = log;
    }

    get size(): number {
        return this.#streams.size;
    }

    /** The stream `handler` returned, as the answer hands it to an adapter. */
    eventStream(stream: SSEResponse, handler: Handler): EventStream {
        return {
            open: (sink, lastEventId) => this.#open(stream, handler, sink, lastEventId),
            gone: () => {
                this.#forget(stream);
                stream[clientGone]();
            },
        };
    }

    /** The adapter has sent the headers: the stream starts writing to `sink`, and is followed until it ends. */
    #open(stream: SSEResponse, handler: Handler, sink: EventSink, lastEventId: string | undefined): void {
        this.#streams.set(stream, handler);
        if (this.#ticker === undefined && this.#heartbeatInterval > 0) this.#startTicker();
        stream[startStream](new FollowedSink(sink, () => this.#forget(stream)), { log: this.#log, maxEventBuffer: this.#maxEventBuffer, lastEventId });
        if (this.#closing || this.#isStale(handler)) stream[closeWithRetry](reconnectDelay());
    }

    #forget(stream: SSEResponse): void {
        this.#streams.delete(stream);
        if (this.#streams.size === 0) this.#ticker = void clearInterval(this.#ticker);
    }

    /** Ends every stream, and those opened from now on, with a `retry:` hint (shutdown). */
    closeAll(): void {
        this.#closing = true;
        this.#closeWhere(() => true);
    }

    /** Ends, with a `retry:` hint, the streams whose handler is stale now, and any a stale handler opens later (watch mode). */
    closeStale(isStale: (handler: Handler) => boolean): void {
        this.#isStale = isStale;
        this.#closeWhere(isStale);
    }

    #closeWhere(close: (handler: Handler) => boolean): void {
        for (const [stream, handler] of this.#streams) {
            if (close(handler)) stream[closeWithRetry](reconnectDelay());
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

/** The adapter's sink, which tells OpenStreams when the server side ends the stream. */
class FollowedSink implements EventSink {
    readonly #sink: EventSink;
    readonly #ended: () => void;

    constructor(sink: EventSink, ended: () => void) {
        this.#sink = sink;
        this.#ended = ended;
    }

    write(text: string): boolean {
        return this.#sink.write(text);
    }

    drained(): Promise<void> {
        return this.#sink.drained();
    }

    pending(): number {
        return this.#sink.pending();
    }

    end(): void {
        this.#ended();
        this.#sink.end();
    }

    abort(): void {
        this.#ended();
        this.#sink.abort();
    }
}
