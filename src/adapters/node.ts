/**
 * The Node.js adapter: the only file that knows node:http. It turns an IncomingMessage into an
 * `Incoming` for the pipeline, and writes the pipeline's `Answer` back to the ServerResponse.
 */
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { Readable } from "node:stream";
import { pipeline as pipeStreams } from "node:stream/promises";
import { createReadStream } from "node:fs";
import { listenError, type AdapterOptions, type ServerAdapter } from "./adapter.ts";
import type { ErrorLogger, Pipeline } from "../pipeline.ts";
import type { Incoming } from "../request/incoming.ts";
import type { Answer, AnswerHeaders, EventsAnswer, FileAnswer } from "../response/answer.ts";
import { clientGone, type EventSink } from "../response/event-stream.ts";
import type { OpenStreams } from "../response/open-streams.ts";
import { fileGoneAnswer } from "../static/file-answer.ts";
import type { Limits } from "../limits.ts";
import type { AccessLogger, RequestInfo } from "../types.ts";

class NodeRequestInfo implements RequestInfo {
    readonly #req: IncomingMessage;
    readonly #res: ServerResponse;
    #headers: Headers | undefined;
    #controller: AbortController | undefined;

    constructor(req: IncomingMessage, res: ServerResponse) {
        this.#req = req;
        this.#res = res;
    }

    get method(): string {
        return this.#req.method ?? "GET";
    }

    get ip(): string {
        return this.#req.socket.remoteAddress ?? "";
    }

    // Built on first use: most handlers never look at the headers, and a Headers object is not free.
    get headers(): Headers {
        return (this.#headers ??= toHeaders(this.#req.rawHeaders));
    }

    get signal(): AbortSignal {
        if (this.#controller === undefined) {
            const controller = (this.#controller = new AbortController());
            const res = this.#res;
            if (res.closed) {
                if (!res.writableFinished) controller.abort();
            } else {
                res.once("close", () => {
                    if (!res.writableFinished) controller.abort();
                });
            }
        }
        return this.#controller.signal;
    }
}

function toHeaders(raw: string[]): Headers {
    const headers = new Headers();
    for (let i = 0; i < raw.length; i += 2) {
        try {
            headers.append(raw[i]!, raw[i + 1]!);
        } catch {
            // a header the Fetch standard refuses (bytes outside Latin-1): left out rather than failing the request
        }
    }
    return headers;
}

class NodeIncoming implements Incoming {
    readonly #req: IncomingMessage;
    readonly #res: ServerResponse;
    readonly #maxBodySize: number;
    /** The client sent `Expect: 100-continue` and waits for a 100 before the body (sent on the first read). */
    #awaitsContinue: boolean;
    #info: NodeRequestInfo | undefined;
    discarded = false;

    constructor(req: IncomingMessage, res: ServerResponse, maxBodySize: number, awaitsContinue: boolean) {
        this.#req = req;
        this.#res = res;
        this.#maxBodySize = maxBodySize;
        this.#awaitsContinue = awaitsContinue;
    }

    get info(): NodeRequestInfo {
        return (this.#info ??= new NodeRequestInfo(this.#req, this.#res));
    }

    get method(): string {
        return this.#req.method ?? "GET";
    }

    get target(): string {
        return this.#req.url ?? "/";
    }

    get host(): string | undefined {
        return this.#req.headers.host;
    }

    get hasBody(): boolean {
        const { headers } = this.#req;
        const length = headers["content-length"];
        if (length !== undefined) return length !== "0";
        return headers["transfer-encoding"] !== undefined;
    }

    header(name: string): string | undefined {
        const value = this.#req.headers[name];
        return Array.isArray(value) ? value.join(", ") : value;
    }

    // Plain "data" events: for the small bodies most requests carry, an async iterator costs more than the parsing.
    readChunks(onChunk: (chunk: Uint8Array) => void): Promise<void> {
        const req = this.#req;
        if (req.readableEnded) return Promise.resolve();
        if (this.#awaitsContinue) {
            this.#awaitsContinue = false;
            this.#res.writeContinue();
        }
        return new Promise((resolve, reject) => {
            const stop = (error?: unknown) => {
                req.off("data", onData).off("end", onEnd).off("error", stop).off("close", onClose);
                if (error === undefined) resolve();
                else reject(error);
            };
            const onData = (chunk: Buffer) => {
                try {
                    onChunk(chunk);
                } catch (error) {
                    stop(error);
                }
            };
            const onEnd = () => stop();
            const onClose = () => stop(new Error("The client closed the connection before sending the whole body"));
            req.on("data", onData).on("end", onEnd).on("error", stop).on("close", onClose);
        });
    }

    // Read and thrown away so that the client, still sending, can read the answer; past maxBodySize
    // thrown away, the connection is closed as soon as the answer is out.
    discardBody(): void {
        if (this.discarded) return;
        this.discarded = true;
        const req = this.#req;
        const res = this.#res;
        let dropped = 0;
        const cut = () => req.socket.destroy();
        const count = (chunk: Buffer) => {
            dropped += chunk.length;
            if (dropped <= this.#maxBodySize) return;
            req.off("data", count);
            if (res.writableFinished) cut();
            else res.once("finish", cut);
        };
        req.on("data", count);
        req.resume();
    }
}

/** A node:http server running the pipeline, and how to stop it gracefully. */
export class NodeServer implements ServerAdapter {
    readonly #server: http.Server;
    readonly #pipeline: Pipeline;
    readonly #logError: ErrorLogger;
    readonly #accessLog: AccessLogger | null;
    readonly #shutdownTimeout: number;
    readonly #maxBodySize: number;
    readonly #streams: OpenStreams;
    #closing = false;
    readonly #isClosing = () => this.#closing;
    #closed: Promise<void> | undefined;

    constructor({ pipeline, logError, accessLog, limits, streams }: AdapterOptions) {
        this.#streams = streams;
        this.#pipeline = pipeline;
        this.#logError = logError;
        this.#accessLog = accessLog;
        this.#shutdownTimeout = limits.shutdownTimeout;
        this.#maxBodySize = limits.maxBodySize;
        this.#server = http.createServer(serverOptions(limits), (req, res) => this.#handle(req, res, false));
        // Handled like any request: the 100 goes out when the pipeline first reads the body, so a body it
        // refuses unread (too large, no route) is never asked for.
        this.#server.on("checkContinue", (req: IncomingMessage, res: ServerResponse) => this.#handle(req, res, true));
    }

    listen(port: number, hostname: string): Promise<number> {
        return new Promise((resolve, reject) => {
            const onError = (error: Error) => reject(listenError(error, port, hostname));
            this.#server.once("error", onError);
            this.#server.listen(port, hostname, () => {
                this.#server.off("error", onError);
                const address = this.#server.address();
                resolve(typeof address === "object" && address !== null ? address.port : port);
            });
        });
    }

    close(): Promise<void> {
        this.#closing = true;
        this.#closed ??= new Promise<void>((resolve) => {
            const forceClose = setTimeout(() => this.#server.closeAllConnections(), this.#shutdownTimeout);
            this.#server.close(() => {
                clearTimeout(forceClose);
                resolve();
            });
            this.#server.closeIdleConnections();
            this.#streams.closeAll();
        });
        return this.#closed;
    }

    #handle(req: IncomingMessage, res: ServerResponse, awaitsContinue: boolean): void {
        if (this.#accessLog) logWhenDone(req, res, this.#accessLog);
        const incoming = new NodeIncoming(req, res, this.#maxBodySize, awaitsContinue);
        const answer = this.#pipeline.handle(incoming);
        if (answer instanceof Promise) {
            answer.then(
                (ready) => this.#write(req, res, incoming, ready),
                (error: unknown) => this.#fail(res, error),
            );
        } else {
            this.#write(req, res, incoming, answer);
        }
    }

    #write(req: IncomingMessage, res: ServerResponse, incoming: NodeIncoming, answer: Answer): void {
        try {
            if (incoming.discarded || this.#closing) answer.headers = { ...answer.headers, connection: "close" };
            else if (answer.kind === "bytes" && answer.headers === answer.template) answer.headers = { ...answer.template }; // writeBytes adds Content-Length
            if (incoming.discarded) closeSoonAfter(res, req.socket);
            switch (answer.kind) {
                case "bytes":
                    return writeBytes(req, res, answer.status, answer.headers, answer.body);
                case "stream":
                    return this.#writeStream(res, answer.status, answer.headers, answer.body);
                case "file":
                    return this.#writeFile(req, res, incoming, answer);
                case "events":
                    return this.#writeEvents(incoming, res, answer);
            }
        } catch (error) {
            this.#fail(res, error);
        }
    }

    #fail(res: ServerResponse, error: unknown): void {
        this.#logError("Could not send the answer:", error);
        if (res.headersSent) {
            res.destroy();
            return;
        }
        const message = this.#pipeline.sendFailureMessage(error);
        res.writeHead(500, { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(message) });
        res.end(message);
    }

    #writeStream(res: ServerResponse, status: number, headers: AnswerHeaders, body: ReadableStream<Uint8Array>): void {
        res.writeHead(status, headers);
        pipeStreams(Readable.fromWeb(body as import("node:stream/web").ReadableStream<Uint8Array>), res).catch((error: unknown) => {
            if (!res.destroyed) this.#logError("A response body stream failed:", error);
            res.destroy();
        });
    }

    // The pipeline has decided status and headers from one stat; the file is opened before they are sent,
    // so a file deleted since answers 404 rather than a cut-off 200.
    #writeFile(req: IncomingMessage, res: ServerResponse, incoming: NodeIncoming, answer: FileAnswer): void {
        const { status, headers, start, length } = answer;
        if (length === 0) return writeBytes(req, res, status, headers, null);
        const stream = createReadStream(answer.path, { start, end: start + length - 1 });
        stream.once("open", () => {
            res.writeHead(status, headers);
            pipeStreams(stream, res).catch(() => res.destroy());
        });
        stream.once("error", (error) => {
            if (res.headersSent) return;
            const gone = fileGoneAnswer(answer, error);
            if (gone.status === 500) this.#logError("A static file could not be read:", error);
            this.#write(req, res, incoming, gone);
        });
    }

    #writeEvents(incoming: NodeIncoming, res: ServerResponse, answer: EventsAnswer): void {
        const { headers, events } = answer;
        if (res.destroyed) return events[clientGone](); // the client left while the handler worked: nothing to start
        res.writeHead(200, headers);
        res.flushHeaders();
        res.once("close", () => {
            this.#streams.delete(events);
            events[clientGone]();
        });
        this.#streams.open(events, answer.origin, new ResponseSink(res, this.#isClosing), incoming.header("last-event-id"));
    }
}

/** An event stream's way to its ServerResponse (a class: one object per stream rather than one closure per method). */
class ResponseSink implements EventSink {
    readonly #res: ServerResponse;
    readonly #closing: () => boolean;
    /** Shared by every send waiting at once: one pair of listeners, however many wait. */
    #drained: Promise<void> | undefined;

    constructor(res: ServerResponse, closing: () => boolean) {
        this.#res = res;
        this.#closing = closing;
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

/** node:http enforces the header size and the timeouts before a request reaches the pipeline (431, 408). */
function serverOptions({ maxHeaderSize, headersTimeout, requestTimeout, keepAliveTimeout }: Limits): http.ServerOptions {
    // node:http refuses a headersTimeout longer than a (non-zero) requestTimeout.
    const headers = requestTimeout > 0 && (headersTimeout === 0 || headersTimeout > requestTimeout) ? requestTimeout : headersTimeout;
    // How often node:http looks for connections past those timeouts (30 s by default, which would triple a 10 s bound).
    const shortest = Math.min(...[headers, requestTimeout].filter((timeout) => timeout > 0), 4000);
    return { maxHeaderSize, headersTimeout: headers, requestTimeout, keepAliveTimeout, connectionsCheckingInterval: Math.max(10, Math.floor(shortest / 4)) };
}

function logWhenDone(req: IncomingMessage, res: ServerResponse, log: AccessLogger): void {
    const time = new Date();
    const started = performance.now();
    res.once("close", () => {
        const target = req.url ?? "/";
        const query = target.indexOf("?");
        log({ time, method: req.method ?? "GET", path: query === -1 ? target : target.slice(0, query), status: res.statusCode, durationMs: performance.now() - started });
    });
}

function writeBytes(req: IncomingMessage, res: ServerResponse, status: number, headers: AnswerHeaders, body: string | Uint8Array | null): void {
    if (body !== null) {
        headers["content-length"] = String(typeof body === "string" ? Buffer.byteLength(body) : body.byteLength);
    } else if (req.method !== "HEAD" && status !== 204 && status !== 304) {
        headers["content-length"] = "0"; // whatever a returned Response declared: no body follows (a HEAD answer keeps the GET's length)
    }
    res.writeHead(status, headers);
    res.end(body ?? undefined);
}

function whenDrained(res: ServerResponse): Promise<void> {
    return new Promise((resolve) => {
        if (res.destroyed || res.writableEnded || !res.writableNeedDrain) return resolve();
        const done = () => {
            res.off("drain", done);
            res.off("close", done);
            resolve();
        };
        res.on("drain", done);
        res.on("close", done);
    });
}

/**
 * After an answer sent before the body was read (413), the rest of the body is read and thrown away
 * so the client can read the answer; a client that keeps sending is cut off after a grace period.
 */
function closeSoonAfter(res: ServerResponse, socket: Socket): void {
    res.once("finish", () => setTimeout(() => socket.destroy(), 2000).unref());
}
