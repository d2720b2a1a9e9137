/**
 * What the Deno and Bun adapters share: both hand over a fetch-style `Request` and take a `Response`.
 * This file turns the pipeline's `Answer` into that Response; each runtime's file (deno.ts, bun.ts)
 * says, as a `WebRuntime`, what differs.
 */
import { open } from "node:fs/promises";
import { Readable } from "node:stream";
import { timeRequest } from "../../access-log.ts";
import type { AccessLogSink, AdapterOptions, Answer, AnswerHeaders, AnswerSource, Deliver, ErrorLogger, FileAnswer, SocketAnswer } from "../../contract.ts";
import { fileGoneAnswer } from "../../static/file-answer.ts";
import { BodyCutOff, CutOffs, type CutOff } from "./cut-offs.ts";
import { eventBody } from "./event-body.ts";
import { WebIncoming, type Exchange, type RequestReading } from "./incoming.ts";

export type FileBody = Blob | ReadableStream<Uint8Array>;
/** What a Response takes as its headers. */
export type ResponseHeaders = Headers | Record<string, string>;

/** What a runtime's file says about itself. */
export interface WebRuntime extends RequestReading {
    /** A Response's headers in the form the runtime takes fastest; `reused`: the object serves many answers alike. */
    responseHeaders(headers: Readonly<AnswerHeaders>, reused: boolean): ResponseHeaders;
    /** `length` bytes of a file from `start`, as a Response body; rejects (ENOENT) if the file is gone. */
    fileBody(path: string, start: number, length: number): Promise<FileBody>;
    /** Called when an event stream starts, e.g. to lift the runtime's idle timeout for that request. */
    onEventStream?(request: Request): void;
    /**
     * Completes a WebSocket handshake the pipeline has checked, with the answer's headers and protocol,
     * and opens its session: the Response to return (Deno), or undefined once the runtime has taken the
     * request over (Bun).
     */
    upgrade(request: Request, context: unknown, answer: SocketAnswer): Response | undefined;
}

type Ended = (status: number) => void;
/** A Response, or nothing where the runtime has taken the request over (Bun, after a WebSocket upgrade). */
type Reply = Response | undefined;
const notLogged: Ended = () => {};

/** Answers fetch-style requests through the pipeline. */
export class WebResponder {
    readonly #answers: AnswerSource;
    readonly #logError: ErrorLogger;
    readonly #accessLog: AccessLogSink | null;
    readonly #runtime: WebRuntime;
    readonly #trustProxy: number;
    readonly #cutOffs = new CutOffs();

    constructor({ answers, logError, accessLog, trustProxy }: AdapterOptions, runtime: WebRuntime) {
        this.#answers = answers;
        this.#trustProxy = trustProxy;
        this.#logError = logError;
        this.#accessLog = accessLog;
        this.#runtime = runtime;
    }

    /** The Response to a request; `context` is what the runtime passes beside it (for the client's address). */
    respond(request: Request, context: unknown): Reply | Promise<Reply> {
        return this.#respond(request, context, (incoming, ended, resolve) => (answer) => resolve(this.#toResponse(request, context, incoming, answer, ended)));
    }

    /** respond(), where a request still waiting for its handler when cutOff() comes is answered 503. */
    respondUnlessCutOff(request: Request, context: unknown): Reply | Promise<Reply> {
        return this.#respond(request, context, (incoming, ended, resolve) => this.#unlessCutOff(request, context, incoming, ended, resolve));
    }

    /**
     * The Response at once when the answer comes at once; else a promise of it, which `later` (given the
     * promise's resolve) makes the answer's delivery settle, with no other promise between them.
     */
    #respond(request: Request, context: unknown, later: (incoming: WebIncoming, ended: Ended, resolve: (reply: Reply | Promise<Reply>) => void) => Deliver): Reply | Promise<Reply> {
        const incoming = new WebIncoming(request, this.#runtime, context, this.#trustProxy);
        const ended = this.#accessLog === null ? notLogged : timeRequest(this.#accessLog, incoming.method, incoming.target);
        let now: Answer | undefined;
        let deliverLater: Deliver | undefined;
        this.#answers.answer(incoming, (answer) => (deliverLater === undefined ? (now = answer) : deliverLater(answer)));
        if (now !== undefined) return this.#toResponse(request, context, incoming, now, ended);
        return new Promise((resolve) => (deliverLater = later(incoming, ended, resolve)));
    }

    /**
     * Shutdown's deadline has passed: requests still waiting for their handler (respondUnlessCutOff) get
     * a 503 and bodies still streaming are cut, so that the runtime's graceful stop can finish.
     */
    cutOff(): void {
        this.#cutOffs.cutAll();
    }

    /** For the runtime's error hook: an answer that failed once handed over. */
    serveError(error: unknown): Response {
        if (!(error instanceof BodyCutOff)) this.#logError("Could not send the answer:", error);
        return new Response("Internal Server Error", { status: 500 });
    }

    /** Where a pending answer goes: to the response, unless cutOff() came first (a 503; the answer is then dropped). */
    #unlessCutOff(request: Request, context: unknown, incoming: WebIncoming, ended: Ended, resolve: (reply: Reply | Promise<Reply>) => void): Deliver {
        const waiting = this.#cutOffs.add(() => {
            ended(503);
            resolve(new Response("The server is shutting down", { status: 503, headers: { "content-type": "text/plain; charset=utf-8", connection: "close" } }));
        });
        return (ready) => {
            if (this.#cutOffs.remove(waiting)) resolve(this.#toResponse(request, context, incoming, ready, ended));
            else if (ready.kind === "stream") ready.body.cancel().catch(() => {});
            else if (ready.kind === "socket") ready.socket.gone(1006, "");
        };
    }

    #toResponse(request: Request, context: unknown, incoming: WebIncoming, answer: Answer, ended: Ended): Reply | Promise<Reply> {
        try {
            const closes = incoming.discarded;
            const headers = closes ? { ...answer.headers, connection: "close" } : answer.headers;
            switch (answer.kind) {
                case "bytes": {
                    incoming.finish();
                    ended(answer.status);
                    const body = nullBodyStatus(answer.status) ? null : answer.body;
                    return new Response(body, { status: answer.status, headers: this.#runtime.responseHeaders(headers, answer.reused === true && !closes) });
                }
                case "stream":
                    return new Response(this.#followEnd(answer.body, incoming.exchange, () => ended(answer.status)), { status: answer.status, headers: headersInit(headers) });
                case "file":
                    return this.#fileResponse(request, context, incoming, { ...answer, headers }, ended);
                case "events":
                    this.#runtime.onEventStream?.(request);
                    return new Response(eventBody(answer.stream, incoming.header("last-event-id"), incoming.exchange, () => ended(200)), { status: 200, headers: headersInit(headers) });
                case "socket":
                    incoming.finish();
                    ended(101);
                    return this.#runtime.upgrade(request, context, { ...answer, headers });
            }
        } catch (error) {
            return this.#failure(error, ended);
        }
    }

    // Opened before answering, so that a file deleted since the pipeline's stat answers 404, not a cut-off 200.
    async #fileResponse(request: Request, context: unknown, incoming: WebIncoming, answer: FileAnswer, ended: Ended): Promise<Reply> {
        const { status, headers, start, length } = answer;
        if (length === 0) return this.#toResponse(request, context, incoming, { kind: "bytes", status, headers, body: null }, ended);
        let body: FileBody;
        try {
            body = await this.#runtime.fileBody(answer.path, start, length);
        } catch (error) {
            const gone = fileGoneAnswer(answer, error);
            if (gone.status === 500) this.#logError("A static file could not be read:", error);
            return this.#toResponse(request, context, incoming, gone, ended);
        }
        incoming.finish();
        ended(status);
        return new Response(body, { status, headers: headersInit(headers) });
    }

    /** A body that marks the exchange finished once read to the end, calls `ended` however it ends, and that cutOff() can cut. */
    #followEnd(body: ReadableStream<Uint8Array>, exchange: Exchange, ended: () => void): ReadableStream<Uint8Array> {
        const reader = body.getReader();
        let cutOff: CutOff | undefined;
        const end = () => {
            if (cutOff !== undefined) this.#cutOffs.remove(cutOff);
            ended();
        };
        return new ReadableStream<Uint8Array>(
            {
                start: (controller) => {
                    cutOff = this.#cutOffs.add(() => {
                        controller.error(new BodyCutOff("The server is shutting down"));
                        reader.cancel().catch(() => {});
                        ended();
                    });
                },
                pull: async (controller) => {
                    try {
                        const next = await reader.read();
                        if (!next.done) return controller.enqueue(next.value);
                        exchange.finish();
                        end();
                        controller.close();
                    } catch (error) {
                        end();
                        controller.error(error);
                    }
                },
                cancel: (reason) => {
                    end();
                    return reader.cancel(reason);
                },
            },
            { highWaterMark: 0 },
        );
    }

    #failure(error: unknown, ended: Ended): Response {
        this.#logError("Could not send the answer:", error);
        ended(500);
        return new Response(this.#answers.failureMessage(error), { status: 500, headers: { "content-type": "text/plain; charset=utf-8" } });
    }
}

/** A file's bytes as a stream (the default; Bun has a faster way). */
export async function fileStream(path: string, start: number, length: number): Promise<ReadableStream<Uint8Array>> {
    const file = await open(path);
    return Readable.toWeb(file.createReadStream({ start, end: start + length - 1 })) as ReadableStream<Uint8Array>;
}

/** Answer headers as a Response takes them: only Set-Cookie is ever a list (one line per cookie); any other is one value. */
export function headersInit(headers: Readonly<AnswerHeaders>): ResponseHeaders {
    if (!Array.isArray(headers["set-cookie"])) return headers as Record<string, string>;
    const built = new Headers();
    for (const [name, value] of Object.entries(headers)) {
        for (const each of Array.isArray(value) ? value : [value]) built.append(name, each);
    }
    return built;
}

/** Statuses whose Response must have no body (the Fetch standard throws otherwise). */
function nullBodyStatus(status: number): boolean {
    return status === 204 || status === 205 || status === 304;
}
