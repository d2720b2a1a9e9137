/** An event stream's way to its client: a ServerResponse (HTTP/1.1), or an HTTP/2 stream. */
import type { ServerResponse } from "node:http";
import { constants, type ServerHttp2Stream } from "node:http2";
import type { AnswerHeaders, EventSink } from "../../contract.ts";

/** Where an event stream's text goes, and how its response starts. */
export interface StartingSink extends EventSink {
    /** The client is gone already: the stream need not start. */
    readonly closed: boolean;
    /** Sends the status and headers now, before any event. */
    start(headers: Readonly<AnswerHeaders>): void;
}

/** A class: one object per stream rather than one closure per method. */
export class ResponseSink implements StartingSink {
    readonly #res: ServerResponse;
    readonly #closing: () => boolean;
    /** Shared by every send waiting at once: one pair of listeners, however many wait. */
    #drained: Promise<void> | undefined;

    constructor(res: ServerResponse, closing: () => boolean) {
        this.#res = res;
        this.#closing = closing;
    }

    get closed(): boolean {
        return this.#res.destroyed;
    }

    start(headers: Readonly<AnswerHeaders>): void {
        this.#res.writeHead(200, headers);
        this.#res.flushHeaders();
    }

    write(text: string): boolean {
        return !this.#res.writableEnded && this.#res.write(text);
    }

    drained(): Promise<void> {
        return (this.#drained ??= whenDrained(this.#res).finally(() => (this.#drained = undefined)));
    }

    pending(): number {
        return this.#res.writableLength;
    }

    end(): void {
        const res = this.#res;
        if (res.writableEnded) return;
        res.end();
        if (this.#closing()) res.socket?.end(); // its headers promised keep-alive; the server is going away
    }

    abort(): void {
        this.#res.destroy();
    }
}

/**
 * An event stream on an HTTP/2 stream, written through node:http2's core API: the stream's own buffer
 * is the one to wait on; respond() sends the headers at once; ending or aborting it ends this stream,
 * never the session, which carries the client's other requests (at shutdown the session has had its
 * GOAWAY, and closes once its last stream ends).
 */
export class StreamSink implements StartingSink {
    readonly #stream: ServerHttp2Stream;
    #drained: Promise<void> | undefined;

    constructor(stream: ServerHttp2Stream) {
        this.#stream = stream;
    }

    get closed(): boolean {
        return this.#stream.closed || this.#stream.destroyed;
    }

    start(headers: Readonly<AnswerHeaders>): void {
        this.#stream.respond({ ...headers, ":status": 200 });
    }

    write(text: string): boolean {
        return !this.#stream.writableEnded && this.#stream.write(text);
    }

    drained(): Promise<void> {
        return (this.#drained ??= whenDrained(this.#stream).finally(() => (this.#drained = undefined)));
    }

    pending(): number {
        return this.#stream.writableLength;
    }

    end(): void {
        if (!this.#stream.writableEnded) this.#stream.end();
    }

    // RST_STREAM with CANCEL, at once: what the client left unread is dropped with the stream.
    abort(): void {
        this.#stream.close(constants.NGHTTP2_CANCEL);
    }
}

function whenDrained(out: ServerResponse | ServerHttp2Stream): Promise<void> {
    return new Promise((resolve) => {
        if (out.destroyed || out.writableEnded || !out.writableNeedDrain) return resolve();
        const done = () => {
            out.off("drain", done);
            out.off("close", done);
            resolve();
        };
        out.on("drain", done);
        out.on("close", done);
    });
}
