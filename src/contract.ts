/**
 * What the pipeline and the server adapters exchange, and nothing else: an adapter turns its runtime's
 * request into an `Incoming`, the pipeline answers it with an `Answer`, the adapter writes that answer.
 * This module imports from neither side (only the public types), so each side can change alone.
 */
import type { AccessLogEntry, Encoding, RequestInfo, TlsOptions } from "./types.ts";

/** A request header's value, by lower-case name. */
export type HeaderReader = (name: string) => string | undefined;

/** A request as an adapter hands it to the pipeline: its only view of the runtime's request object. */
export interface Incoming {
    readonly method: string;
    /** The request target as sent, e.g. `/params/caf%C3%A9?x=1`. */
    readonly target: string;
    /** The Host header as sent (undefined without one); the pipeline refuses one that is not a host. */
    readonly host: string | undefined;
    /** Whether the request came over HTTPS (to this server, or to a trusted proxy: see `trustProxy`). */
    readonly secure: boolean;
    /** A header's value, by lower-case name. */
    header(name: string): string | undefined;
    /** Whether the request carries a body (a Content-Length above 0, or chunked). */
    readonly hasBody: boolean;
    /** The part of the request a handler sees as `request` (adapters make it on first use). */
    readonly info: RequestInfo;
    /**
     * Passes the body's bytes to `onChunk` as they arrive; resolves at the end of the body. If `onChunk`
     * throws, reading stops and the promise rejects with that error (the connection stays usable).
     */
    readChunks(onChunk: (chunk: Uint8Array) => void): Promise<void>;
    /**
     * The whole body as UTF-8 text, where the runtime reads it faster that way than in chunks (Deno, Bun).
     * Called only for a body with a Content-Length within the limit.
     */
    readText?(): Promise<string>;
    /**
     * Stop reading the body: what is left is thrown away and the connection closes after the answer (at
     * once, where the adapter can, once more than maxBodySize bytes have been thrown away).
     */
    discardBody(): void;
}

/** An answer's headers, by lower-case name; only Set-Cookie is ever a list (one line per cookie). */
export type AnswerHeaders = Record<string, string | string[]>;

/**
 * What the pipeline hands back. Its headers are never changed by an adapter: one that adds a header
 * (a length, `connection: close`) builds its own object from them.
 */
export type Answer =
    /**
     * A body known in full (or none). `reused`: the same headers object serves many answers alike, so an
     * adapter may keep what it builds from it (a runtime's Headers object) for the next one.
     */
    | { kind: "bytes"; status: number; headers: Readonly<AnswerHeaders>; body: string | Uint8Array | null; reused?: true }
    /** A body produced over time (a returned `Response`, `ReadableStream` or `Blob`; see response/checked-body.ts). */
    | { kind: "stream"; status: number; headers: Readonly<AnswerHeaders>; body: ReadableStream<Uint8Array> }
    /**
     * `length` bytes of a file from `start` (headers, Content-Length included, already decided). `encode`:
     * the pipeline compresses the file as it is read (its headers already say so); adapters never see it set.
     */
    | { kind: "file"; status: 200 | 206; headers: Readonly<AnswerHeaders>; path: string; start: number; length: number; encode?: Encoding }
    /** An event stream: the adapter sends the headers, then opens the stream on its sink. */
    | { kind: "events"; status: 200; headers: Readonly<AnswerHeaders>; stream: EventStream }
    /**
     * A WebSocket: the request is a valid upgrade (checked by the pipeline); the adapter completes the
     * handshake with `headers` and the protocol chosen, then opens the session on its link.
     */
    | { kind: "socket"; status: 101; headers: Readonly<AnswerHeaders>; socket: SocketSession };

export type BytesAnswer = Extract<Answer, { kind: "bytes" }>;
export type StreamAnswer = Extract<Answer, { kind: "stream" }>;
export type FileAnswer = Extract<Answer, { kind: "file" }>;
export type EventsAnswer = Extract<Answer, { kind: "events" }>;
export type SocketAnswer = Extract<Answer, { kind: "socket" }>;

/** A WebSocket as an adapter sees it: opened once the handshake is done, given each message, told when it closes. */
export interface SocketSession {
    /** The subprotocol to answer with ("" for none), chosen from the request's Sec-WebSocket-Protocol. */
    readonly protocol: string;
    open(link: SocketLink): void;
    message(data: string | Uint8Array): void;
    /** The socket has closed (or could not open): the code and reason the client sent, 1006 if none. */
    gone(code: number, reason: string): void;
}

/** Where a WebSocket's messages go: implemented by each adapter over its runtime's socket. */
export interface SocketLink {
    /** A string as a text frame, bytes as a binary frame. */
    send(data: string | Uint8Array): void;
    /** Bytes queued and not yet taken by the connection. */
    buffered(): number;
    /** Resolves once the queue is empty, or the socket closed. */
    drained(): Promise<void>;
    /** Starts the closing handshake. */
    close(code: number, reason: string): void;
    /** Drops the connection at once (a client that does not read, or does not answer pings). */
    terminate(): void;
    /** Sends a ping; `onPong` is called when the pong comes. */
    ping(onPong: () => void): void;
}

/** An event stream as an adapter sees it: opened once its headers are sent, told when the client leaves. */
export interface EventStream {
    /** Starts writing to `sink`; `lastEventId` is the request's Last-Event-ID header. */
    open(sink: EventSink, lastEventId: string | undefined): void;
    /** The client has gone (or was gone before the stream could open). */
    gone(): void;
}

/** Where an event stream's text goes: implemented by each adapter over its connection. */
export interface EventSink {
    /** Queues text for the client; false when the connection's buffer is full. */
    write(text: string): boolean;
    /** Resolves once the connection can take more, or is closed. */
    drained(): Promise<void>;
    /** Bytes written but not yet taken by the connection (what a client that does not read makes grow). */
    pending(): number;
    /** Ends the response. */
    end(): void;
    /** Drops the connection at once (a client that does not read). */
    abort(): void;
}

/**
 * A runtime's way to read the value of a promise that has already fulfilled, without waiting for a
 * microtask (Bun.peek), or `notFulfilled` (symbols.ts) for one that has not: an `async` handler that
 * returns without awaiting anything is then answered at once. Where the runtime has none, null.
 */
export type PromisePeek = (promise: Promise<unknown>) => unknown;

/** Where the pipeline hands a request's answer. It should not throw: if it does, the error is logged and nothing is delivered again. */
export type Deliver = (answer: Answer) => void;

/** The pipeline, as the adapters call it. */
export interface AnswerSource {
    /** Answers the request: `deliver` is called once, with its answer (at once when no promise is involved). */
    answer(incoming: Incoming, deliver: Deliver): void;
    /** The body of the 500 an adapter sends when an answer could not be written (a header value it refused, say). */
    failureMessage(error: unknown): string;
}

/** Where errors that no answer can carry go (console.error by default). */
export type ErrorLogger = (message: string, error?: unknown) => void;

/** The access log, as an adapter feeds it: one entry per request, once its answer has ended. */
export type AccessLogSink = (entry: AccessLogEntry) => void;

/** The limits an adapter applies itself (the runtime's server enforces some before the pipeline runs). */
export interface ConnectionLimits {
    maxBodySize: number;
    maxMessageSize: number;
    maxHeaderSize: number;
    headersTimeout: number;
    bodyTimeout: number;
    requestTimeout: number;
    keepAliveTimeout: number;
    handlerTimeout: number;
}

/** What every runtime's server adapter is given. */
export interface AdapterOptions {
    answers: AnswerSource;
    logError: ErrorLogger;
    accessLog: AccessLogSink | null;
    limits: ConnectionLimits;
    /** How many proxies to believe about the client's address (`request.ip`) and scheme (`secure`). */
    trustProxy: number;
    /** Whether WebSocket messages may be compressed (permessage-deflate). */
    perMessageDeflate: boolean;
    /** HTTPS's certificate and key (PEM text), or null for plain HTTP. */
    tls: TlsOptions | null;
}

/** A runtime's HTTP server running the pipeline. */
export interface ServerAdapter {
    /** Resolves with the port once listening; a port in use or a bad hostname is a one-line StartupError. */
    listen(port: number, hostname: string): Promise<number>;
    /** Stops accepting connections; resolves once the requests in flight are answered. */
    stop(): Promise<void>;
    /** Shutdown's deadline has passed: ends what is left (connections closed, or answered 503 where they cannot be). */
    cutOff(): void;
}
