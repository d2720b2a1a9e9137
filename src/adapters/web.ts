/**
 * What the Deno and Bun adapters share: both hand over a fetch-style `Request` and take a `Response`.
 * This file turns the one into an `Incoming` for the pipeline and the pipeline's `Answer` into the other.
 */
import { open } from "node:fs/promises";
import { Readable } from "node:stream";
import type { ErrorLogger, Pipeline } from "../pipeline.ts";
import type { Incoming } from "../request/incoming.ts";
import type { Answer, AnswerHeaders, EventsAnswer, FileAnswer } from "../response/answer.ts";
import { clientGone, type EventSink } from "../response/event-stream.ts";
import type { OpenStreams } from "../response/open-streams.ts";
import type { AdapterOptions } from "./adapter.ts";
import { CutOffs, type CutOff } from "./cut-offs.ts";
import { fileGoneAnswer } from "../static/file-answer.ts";
import type { AccessLogger, RequestInfo } from "../types.ts";

/** Finds the client's address from what the runtime passed beside the request (Deno's info, Bun's server). */
export type ClientAddress = (request: Request, context: unknown) => string;

/**
 * How a runtime's `Request` shows what the client sent: the runtimes give an absolute URL built from the
 * Host header and the target, each its own way, so each adapter says how to take them apart.
 */
export interface RequestLine {
    /** The Host header as sent, or undefined without one. */
    host(request: Request): string | undefined;
    /** The request target as sent; `host` is what host() gave. */
    target(request: Request, host: string | undefined): string;
}

/**
 * The target of an absolute URL whose authority holds no "/": what follows it. A target like `ftp://x/y`
 * that a runtime passes through as it is stays whole, so the pipeline refuses it (400) as on Node.
 */
export function afterAuthority(url: string): string {
    if (!url.startsWith("http://") && !url.startsWith("https://")) return url;
    return url.slice(url.indexOf("/", url.indexOf("//") + 2));
}

class WebRequestInfo implements RequestInfo {
    readonly #request: Request;
    readonly #exchange: Exchange;
    readonly #context: unknown;
    readonly #clientAddress: ClientAddress;

    constructor(request: Request, exchange: Exchange, context: unknown, clientAddress: ClientAddress) {
        this.#request = request;
        this.#exchange = exchange;
        this.#context = context;
        this.#clientAddress = clientAddress;
    }

    get ip(): string {
        return this.#clientAddress(this.#request, this.#context);
    }

    get method(): string {
        return this.#request.method;
    }

    get headers(): Headers {
        return this.#request.headers;
    }

    get signal(): AbortSignal {
        return this.#exchange.clientGone;
    }
}

/**
 * One request and its answer's progress. The runtimes' `request.signal` also aborts after an answer
 * sent in full (Deno does so by design), so it means "the client left" only while the answer is unfinished.
 */
class Exchange {
    readonly #request: Request;
    #controller: AbortController | undefined;
    #finished = false;

    constructor(request: Request) {
        this.#request = request;
    }

    // Listened to on first use only: Deno prints a notice the first time request.signal is read.
    get clientGone(): AbortSignal {
        if (this.#controller === undefined) {
            const controller = (this.#controller = new AbortController());
            const signal = this.#request.signal;
            const abort = () => this.#finished || controller.abort();
            if (signal.aborted) abort();
            else signal.addEventListener("abort", abort, { once: true });
        }
        return this.#controller.signal;
    }

    /** The answer is complete: from now on, the connection closing is not the client leaving. */
    finish(): void {
        this.#finished = true;
    }

    /** The client left before the answer was complete (a streamed body noticed it first). */
    leave(): void {
        if (this.#finished) return;
        this.#controller?.abort();
        this.#finished = true;
    }
}

class WebIncoming implements Incoming {
    readonly #request: Request;
    readonly #line: RequestLine;
    #host: string | undefined | null = null; // null: not read yet
    #exchange: Exchange | undefined;
    #finished = false;
    #method: string | undefined;
    readonly #context: unknown;
    readonly #clientAddress: ClientAddress;
    #info: WebRequestInfo | undefined;
    #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    /** The body was left unread (too large, too slow): the connection closes after the answer. */
    discarded = false;

    constructor(request: Request, line: RequestLine, context: unknown, clientAddress: ClientAddress) {
        this.#request = request;
        this.#line = line;
        this.#context = context;
        this.#clientAddress = clientAddress;
    }

    /** Made on first use: most answers are complete the moment they are handed over. */
    get exchange(): Exchange {
        if (this.#exchange === undefined) {
            this.#exchange = new Exchange(this.#request);
            if (this.#finished) this.#exchange.finish();
        }
        return this.#exchange;
    }

    /** The answer is complete (see Exchange.finish). */
    finish(): void {
        this.#finished = true;
        this.#exchange?.finish();
    }

    get info(): WebRequestInfo {
        return (this.#info ??= new WebRequestInfo(this.#request, this.exchange, this.#context, this.#clientAddress));
    }

    get method(): string {
        return (this.#method ??= this.#request.method);
    }

    get host(): string | undefined {
        if (this.#host === null) this.#host = this.#line.host(this.#request);
        return this.#host;
    }

    get target(): string {
        return this.#line.target(this.#request, this.host);
    }

    // Without reading the headers (on Deno that builds a Headers object) or, for a POST, `request.body`
    // (that makes a stream, and the runtime's faster whole-body reader then goes through it): a request
    // that may carry a body is read, and an empty one gives null all the same.
    get hasBody(): boolean {
        const method = this.method;
        return method === "GET" || method === "HEAD" ? this.#request.body !== null : true;
    }

    header(name: string): string | undefined {
        return this.#request.headers.get(name) ?? undefined;
    }

    async readChunks(onChunk: (chunk: Uint8Array) => void): Promise<void> {
        // With a Content-Length (already checked against the limit), the runtime's own reader is fastest.
        if (this.#request.headers.has("content-length")) return onChunk(new Uint8Array(await this.#request.arrayBuffer()));
        const body = this.#request.body;
        if (body === null) return;
        const reader = (this.#reader = body.getReader());
        for (;;) {
            const { done, value } = await reader.read();
            if (done) return;
            onChunk(value);
        }
    }

    // Decoded by the runtime straight from its buffer: about 1 µs less than bytes then TextDecoder on a 1 KiB JSON body (Bun).
    readText(): Promise<string> {
        return this.#request.text();
    }

    discardBody(): void {
        this.discarded = true;
        const stop = this.#reader ? this.#reader.cancel() : this.#request.body?.cancel();
        stop?.catch(() => {});
    }
}

export type FileBody = Blob | ReadableStream<Uint8Array>;

/** A response body vshs ended on purpose (a client not reading, shutdown): not an error to report. */
class BodyCutOff extends Error {}

/** What an event stream's body holds before send() waits (what the runtime has taken is not counted). */
const eventQueueBytes = 16 * 1024;

export interface WebResponderOptions extends Pick<AdapterOptions, "streams"> {
    pipeline: Pipeline;
    clientAddress: ClientAddress;
    requestLine: RequestLine;
    logError: ErrorLogger;
    accessLog: AccessLogger | null;
    /** Called when an event stream starts, e.g. to lift the runtime's idle timeout for that request. */
    onEventStream?: (request: Request) => void;
    /**
     * Whether cutOff() must answer requests still waiting for their handler (Deno, which cannot close
     * a connection by force); where the adapter can close connections itself (Bun), waiting requests
     * are not tracked, which spares each a promise.
     */
    cutOffPending: boolean;
    /**
     * Whether a bytes answer's headers are made into a Headers object once per kind of answer and reused:
     * a Response made from one costs Bun half what a plain object does, while Deno sorts the names of a
     * Headers object each time it copies one (about 1 % of V8's profiler samples under the echo load),
     * and takes a plain object faster.
     */
    prebuildsHeaders: boolean;
    /** `length` bytes of a file from `start`, as a Response body; rejects (ENOENT) if the file is gone. */
    fileBody?: (path: string, start: number, length: number) => Promise<FileBody>;
}

/** Answers fetch-style requests through the pipeline; used by the Deno and Bun adapters. */
export class WebResponder {
    readonly #pipeline: Pipeline;
    readonly #logError: ErrorLogger;
    readonly #accessLog: AccessLogger | null;
    readonly #onEventStream: ((request: Request) => void) | undefined;
    readonly #clientAddress: ClientAddress;
    readonly #requestLine: RequestLine;
    readonly #cutOffPending: boolean;
    readonly #fileBody: (path: string, start: number, length: number) => Promise<FileBody>;
    readonly #streams: OpenStreams;
    readonly #cutOffs = new CutOffs();
    readonly #prebuildsHeaders: boolean;
    readonly #prebuiltHeaders = new WeakMap<Readonly<AnswerHeaders>, Headers>();

    constructor({ pipeline, clientAddress, requestLine, cutOffPending, prebuildsHeaders, logError, accessLog, onEventStream, fileBody = fileStream, streams }: WebResponderOptions) {
        this.#prebuildsHeaders = prebuildsHeaders;
        this.#streams = streams;
        this.#clientAddress = clientAddress;
        this.#requestLine = requestLine;
        this.#cutOffPending = cutOffPending;
        this.#pipeline = pipeline;
        this.#logError = logError;
        this.#accessLog = accessLog;
        this.#onEventStream = onEventStream;
        this.#fileBody = fileBody;
    }

    /** `context` is what the runtime passes beside the request, for the client's address when asked. */
    respond(request: Request, context: unknown): Response | Promise<Response> {
        const started = this.#accessLog ? performance.now() : 0;
        const incoming = new WebIncoming(request, this.#requestLine, context, this.#clientAddress);
        const answer = this.#pipeline.handle(incoming);
        let response: Response | Promise<Response>;
        if (answer instanceof Promise) {
            response = this.#cutOffPending
                ? this.#unlessCutOff(request, incoming, answer)
                : answer.then(
                      (ready) => this.#toResponse(request, incoming, ready),
                      (error: unknown) => this.#failure(error),
                  );
        } else {
            response = this.#toResponse(request, incoming, answer);
        }
        if (this.#accessLog === null) return response;
        return Promise.resolve(response).then((done) => (this.#log(request, incoming, done.status, started), done));
    }

    /** Ends the open event streams (shutdown). */
    closeStreams(): void {
        this.#streams.closeAll();
    }

    /**
     * Ends the open event streams, then waits for the runtime's graceful stop; past `timeout` ms, the
     * requests left are cut off and `force` is called.
     */
    async shutDown(graceful: () => Promise<void>, force: () => void, timeout: number): Promise<void> {
        this.closeStreams();
        const deadline = setTimeout(() => {
            this.cutOff();
            force();
        }, timeout);
        await graceful().catch(() => {}); // closing connections by force can make it reject
        clearTimeout(deadline);
    }

    /**
     * Shutdown's deadline has passed: requests still waiting for their handler get a 503 and bodies still
     * streaming are cut, so that the runtime's graceful shutdown can finish.
     */
    cutOff(): void {
        this.#cutOffs.cutAll();
    }

    /** The response to a pending answer, or a 503 if cutOff() comes first (then the answer is dropped). */
    #unlessCutOff(request: Request, incoming: WebIncoming, answer: Promise<Answer>): Promise<Response> {
        return new Promise((resolve) => {
            const waiting = this.#cutOffs.add(() => resolve(new Response("The server is shutting down", { status: 503, headers: { "content-type": "text/plain; charset=utf-8", connection: "close" } })));
            answer.then(
                (ready) => {
                    if (this.#cutOffs.remove(waiting)) resolve(this.#toResponse(request, incoming, ready));
                    else if (ready.kind === "stream") ready.body.cancel().catch(() => {});
                },
                (error: unknown) => this.#cutOffs.remove(waiting) && resolve(this.#failure(error)),
            );
        });
    }

    /** A body that marks the exchange finished once read to the end, and that cutOff() can cut. */
    #followEnd(body: ReadableStream<Uint8Array>, exchange: Exchange): ReadableStream<Uint8Array> {
        let cutOff: CutOff | undefined;
        return body.pipeThrough(
            new TransformStream<Uint8Array, Uint8Array>({
                start: (controller) => {
                    cutOff = this.#cutOffs.add(() => controller.error(new BodyCutOff("The server is shutting down")));
                },
                flush: () => {
                    this.#cutOffs.remove(cutOff!);
                    exchange.finish();
                },
            }),
        );
    }

    #toResponse(request: Request, incoming: WebIncoming, answer: Answer): Response | Promise<Response> {
        try {
            if (incoming.discarded) answer.headers = { ...answer.headers, connection: "close" };
            switch (answer.kind) {
                case "bytes": {
                    incoming.finish();
                    const headers = this.#prebuildsHeaders && answer.template !== undefined && !incoming.discarded ? this.#prebuilt(answer.template) : toHeaders(answer.headers);
                    return new Response(nullBodyStatus(answer.status) ? null : answer.body, { status: answer.status, headers });
                }
                case "stream":
                    return new Response(this.#followEnd(answer.body, incoming.exchange), { status: answer.status, headers: toHeaders(answer.headers) });
                case "file":
                    return this.#fileResponse(request, incoming, answer);
                case "events":
                    this.#onEventStream?.(request);
                    return new Response(this.#eventBody(answer, incoming), { status: 200, headers: toHeaders(answer.headers) });
            }
        } catch (error) {
            return this.#failure(error);
        }
    }

    #prebuilt(template: Readonly<AnswerHeaders>): Headers {
        let headers = this.#prebuiltHeaders.get(template);
        if (headers === undefined) this.#prebuiltHeaders.set(template, (headers = new Headers(template as Record<string, string>)));
        return headers;
    }

    // Opened before answering, so that a file deleted since the pipeline's stat answers 404, not a cut-off 200.
    async #fileResponse(request: Request, incoming: WebIncoming, answer: FileAnswer): Promise<Response> {
        const { status, headers, start, length } = answer;
        if (length === 0) return this.#toResponse(request, incoming, { kind: "bytes", status, headers, body: null });
        let body: FileBody;
        try {
            body = await this.#fileBody(answer.path, start, length);
        } catch (error) {
            const gone = fileGoneAnswer(answer, error);
            if (gone.status === 500) this.#logError("A static file could not be read:", error);
            return this.#toResponse(request, incoming, gone);
        }
        incoming.finish();
        return new Response(body, { status, headers: toHeaders(headers) });
    }

    /** The event stream's body: the SSEResponse writes into it, and learns when the client leaves. */
    #eventBody({ events, origin }: EventsAnswer, incoming: WebIncoming): ReadableStream<Uint8Array> {
        const exchange = incoming.exchange;
        const encoder = new TextEncoder();
        const streams = this.#streams;
        // One promise for every send waiting at once, settled when the runtime next pulls.
        let drained: { promise: Promise<void>; resolve: () => void } | undefined;
        const whenPulled = () => {
            drained?.resolve();
            drained = undefined;
        };
        const gone = () => {
            if (!streams.delete(events)) return;
            exchange.leave();
            whenPulled();
            events[clientGone]();
        };
        return new ReadableStream<Uint8Array>(
            {
                start: (controller) => {
                    const sink: EventSink = {
                        write: (text) => {
                            if (!streams.has(events)) return false;
                            controller.enqueue(encoder.encode(text));
                            return (controller.desiredSize ?? 0) > 0;
                        },
                        drained: () => {
                            if (!streams.has(events)) return Promise.resolve();
                            if (drained === undefined) {
                                let resolve!: () => void;
                                const promise = new Promise<void>((settle) => (resolve = settle));
                                drained = { promise, resolve };
                            }
                            return drained.promise;
                        },
                        pending: () => eventQueueBytes - (controller.desiredSize ?? 0),
                        end: () => {
                            if (!streams.delete(events)) return;
                            exchange.finish();
                            whenPulled();
                            controller.close();
                        },
                        abort: () => {
                            if (streams.has(events)) controller.error(new BodyCutOff("The client is not reading; the stream was cut off"));
                            gone();
                        },
                    };
                    streams.open(events, origin, sink, incoming.header("last-event-id"));
                },
                pull: whenPulled,
                cancel: gone,
            },
            new ByteLengthQueuingStrategy({ highWaterMark: eventQueueBytes }),
        );
    }

    /** For the runtime's error hook: an answer that failed once handed over. */
    serveError(error: unknown): Response {
        if (!(error instanceof BodyCutOff)) this.#logError("Could not send the answer:", error);
        return new Response("Internal Server Error", { status: 500 });
    }

    #failure(error: unknown): Response {
        this.#logError("Could not send the answer:", error);
        return new Response(this.#pipeline.sendFailureMessage(error), { status: 500, headers: { "content-type": "text/plain; charset=utf-8" } });
    }

    #log(request: Request, incoming: WebIncoming, status: number, started: number): void {
        const target = incoming.target;
        const query = target.indexOf("?");
        this.#accessLog?.({ time: new Date(), method: request.method, path: query === -1 ? target : target.slice(0, query), status, durationMs: performance.now() - started });
    }
}

async function fileStream(path: string, start: number, length: number): Promise<ReadableStream<Uint8Array>> {
    const file = await open(path);
    return Readable.toWeb(file.createReadStream({ start, end: start + length - 1 })) as ReadableStream<Uint8Array>;
}

/** Statuses whose Response must have no body (the Fetch standard throws otherwise). */
function nullBodyStatus(status: number): boolean {
    return status === 204 || status === 205 || status === 304;
}

/** Only Set-Cookie is ever a list (one line per cookie); any other header list is joined with ", " as HTTP allows. */
function toHeaders(headers: AnswerHeaders): Headers | Record<string, string> {
    if (!Array.isArray(headers["set-cookie"])) return headers as Record<string, string>;
    const built = new Headers();
    for (const [name, value] of Object.entries(headers)) {
        for (const each of Array.isArray(value) ? value : [value]) built.append(name, each);
    }
    return built;
}
