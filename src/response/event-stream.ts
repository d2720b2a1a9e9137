import { channelEvent, channelReset, clientGone, closeWithRetry, follow, heartbeat, startStream, writeFrame } from "../symbols.ts";
import { quiet, quietRejection } from "./quiet.ts";
import type { ChannelFollower, FollowedEvent, Followable } from "./channel-follower.ts";
import type { ErrorLogger, EventSink } from "../contract.ts";
import { eventFrame, type EventFields } from "./event-frame.ts";
import { EndSignal } from "./end-signal.ts";

/** How the adapter starts a stream: its settings and what the request said. */
export interface StreamStart {
    log: ErrorLogger;
    /** The request's Last-Event-ID header. */
    lastEventId: string | undefined;
    /** Bytes a client may leave unread before it is cut off. */
    maxEventBuffer: number;
}

export type EventStreamCallback = (self: SSEResponse) => unknown;



/**
 * Return one from a handler to answer with a stream of Server-Sent Events:
 * `return new SSEResponse(async (self) => { await self.send({ count: 1 }, "tick") })`; `self.sendEvent({ data, id })`
 * for an event with an id or a reconnection delay.
 * The stream stays open after the callback returns, until the client leaves or `close()` is called.
 */
export class SSEResponse implements ChannelFollower {
    /** Called once when the stream ends, whoever ended it. */
    onConnectionClosed: (() => void) | undefined = undefined;

    readonly #callback: EventStreamCallback;
    readonly #end = new EndSignal();
    #sink: EventSink | undefined;
    #log: ErrorLogger = console.error;
    #lastEventId: string | undefined;
    #maxEventBuffer = Infinity;
    #lastWrite = 0;

    constructor(callback: EventStreamCallback) {
        if (typeof callback !== "function") throw new TypeError("SSEResponse needs a callback function");
        this.#callback = callback;
    }

    /** Aborts when the stream ends. */
    get signal(): AbortSignal {
        return this.#end.signal;
    }

    get closed(): boolean {
        return this.#end.ended;
    }

    /** The id of the last event the client saw, from its Last-Event-ID header when it reconnects. */
    get lastEventId(): string | undefined {
        return this.#lastEventId;
    }

    /**
     * Sends one event: `event: <event>` (if given) and `data: <data as JSON>`, whatever `data` is (an
     * object relayed from a client that happens to hold `id` or `retry` keys is data, never fields).
     * Resolves once the event is handed to the socket (waiting while its buffer is full); rejects once
     * the stream has ended. A rejection nobody awaits is ignored, so a timer that keeps sending after
     * a disconnect cannot crash the process.
     */
    send(data: unknown, event?: string): Promise<void> {
        let text: string;
        try {
            text = framed(data, event);
        } catch (error) {
            return quietRejection(error);
        }
        return this[writeFrame](text);
    }

    /**
     * Sends one event with the fields you choose: `sendEvent({ data, event?, id?, retry? })`. A string
     * `data` is sent as it is (one `data:` line per line of it), anything else as JSON; `id` names the
     * event for a client that reconnects, `retry` tells it how long to wait before it does, in ms.
     */
    sendEvent(fields: EventFields<unknown>): Promise<void> {
        return this.#sendFrame(() => {
            if (typeof fields !== "object" || fields === null || !("data" in fields)) throw new TypeError("sendEvent() takes { data, event?, id?, retry? }");
            return eventFrame(fields);
        });
    }

    #sendFrame(frame: () => string): Promise<void> {
        let text: string;
        try {
            text = frame();
        } catch (error) {
            return quietRejection(error);
        }
        return this[writeFrame](text);
    }

    /** Follows a channel: sends the events it missed (by its Last-Event-ID), then each new one, until the stream ends. */
    subscribe(channel: Followable): Promise<void> {
        if (this.closed) return quietRejection(new Error("The event stream is closed"));
        return quiet(channel[follow](this));
    }

    /** Ends the stream from the server's side. */
    close(): void {
        if (this.closed) return;
        this.#finish();
        this.#sink?.end();
    }

    /**
     * Writes framed text, keeping the client's unread bytes under maxEventBuffer and waiting while the
     * connection's buffer is full: how events, comments and heartbeats reach the sink (only the last
     * `retry:` line of closeWithRetry is written directly, as the stream ends with it).
     */
    [writeFrame](text: string): Promise<void> {
        const sink = this.#sink;
        if (this.closed || sink === undefined) return quietRejection(new Error("The event stream is closed"));
        this.#lastWrite = performance.now();
        const room = sink.write(text);
        if (sink.pending() > this.#maxEventBuffer) {
            this.#log(`An event stream was cut off: its client left more than ${this.#maxEventBuffer} bytes unread (maxEventBuffer)`);
            this.#cutOff();
            return quietRejection(new Error(`The client is not reading: more than ${this.#maxEventBuffer} bytes wait for it, so the stream was cut off`));
        }
        if (room) return written;
        return quiet(
            sink.drained().then(() => {
                if (this.closed) throw new Error("The event stream is closed");
            }),
        );
    }

    /** Ends the stream after telling the client when to come back (shutdown, reload): `retry: <ms>`. */
    [closeWithRetry](ms: number): void {
        if (this.closed || this.#sink === undefined) return this.close();
        this.#sink.write(`retry: ${Math.round(ms)}\n\n`);
        this.close();
    }

    [channelEvent](event: FollowedEvent): void {
        void this[writeFrame](sseFrame(event));
    }

    [channelReset](id: number, data: { channel: string; lastEventId: string }): void {
        void this[writeFrame](eventFrame({ event: "vshs-reset", id, data }));
    }

    /** Called by the adapter once the headers are sent. */
    [startStream](sink: EventSink, start: StreamStart): void {
        this.#sink = sink;
        this.#log = start.log;
        this.#lastEventId = start.lastEventId;
        this.#maxEventBuffer = start.maxEventBuffer;
        // A comment, which EventSource ignores, so that the headers leave at once: Bun and some proxies
        // hold them back until the body's first bytes, and a quiet stream would look like a hung request.
        this[writeFrame](":ok\n\n");
        Promise.resolve()
            // A stream ended before its callback's turn (shutdown, a reload, a client gone at once) runs
            // none of it: a timer the callback starts would never be stopped by onConnectionClosed.
            .then(() => this.closed || this.#callback(this))
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

    /** A comment line if nothing was sent for `interval` ms (see OpenStreams, which calls it for every stream). */
    [heartbeat](now: number, interval: number): void {
        if (this.#sink !== undefined && !this.closed && now - this.#lastWrite >= interval) void this[writeFrame](":\n\n");
    }

    #cutOff(): void {
        this.#finish();
        this.#sink?.abort();
    }

    #finish(): void {
        this.#end.end();
        try {
            this.onConnectionClosed?.();
        } catch (error) {
            this.#log("onConnectionClosed threw", error);
        }
    }
}

/**
 * send()'s frame. The last one made for a value that is not an object is kept: a loop sending one event
 * to many streams then frames it once, as a channel does. (An object could have changed between two
 * sends, so it is framed each time.)
 */
function framed(data: unknown, event: string | undefined): string {
    const primitive = data === null || (typeof data !== "object" && typeof data !== "function");
    if (primitive && lastFrame !== "" && data === lastData && event === lastEvent) return lastFrame;
    const frame = eventFrame({ data: JSON.stringify(data) ?? "", event });
    if (primitive) {
        lastData = data;
        lastEvent = event;
        lastFrame = frame;
    }
    return frame;
}
let lastData: unknown;
let lastEvent: string | undefined;
let lastFrame = "";

/** What a send resolves to when the connection took its event at once: one settled promise serves them all. */
const written = Promise.resolve();

export function isSSEResponse(value: unknown): value is SSEResponse {
    return value instanceof SSEResponse || (typeof value === "object" && value !== null && typeof (value as Record<symbol, unknown>)[startStream] === "function");
}

export const eventStreamHeaders = {
    "content-type": "text/event-stream",
    // no-transform: proxies must not compress or rewrite a stream, which would hold events back.
    "cache-control": "no-cache, no-transform",
    "x-accel-buffering": "no",
} as const;

/** A channel's event as an SSE frame, made once however many streams follow. */
const sseFrames = new WeakMap<FollowedEvent, string>();
function sseFrame(event: FollowedEvent): string {
    let frame = sseFrames.get(event);
    if (frame === undefined) sseFrames.set(event, (frame = eventFrame({ id: event.id, event: event.event, data: event.data })));
    return frame;
}
