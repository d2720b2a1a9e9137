/**
 * The pipeline's `Answer` written to an HTTP/2 stream through node:http2's core API: the status and
 * headers in one respond() (a file's through respondWithFile(), which node:http2 reads from the file
 * descriptor itself), the body written to the stream. As on HTTP/1.1 (write-answer.ts), but without the
 * headers of one HTTP/1.1 connection, which HTTP/2 has no use for and node:http2 refuses to send.
 */
import { constants, type OutgoingHttpHeaders, type ServerHttp2Stream } from "node:http2";
import { Readable } from "node:stream";
import { pipeline as pipeStreams } from "node:stream/promises";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import type { Answer, AnswerHeaders, ErrorLogger, EventsAnswer, FileAnswer, SocketAnswer } from "../../contract.ts";
import { fileGoneAnswer } from "../../static/file-answer.ts";
import { StreamSink } from "./event-sink.ts";
import { afterAnswer, endStream, type H2Incoming } from "./h2-incoming.ts";
import type { WriterOptions } from "./write-answer.ts";

/** RFC 9113 §8.2.2: the connection-specific header fields, which an HTTP/2 message must not carry. */
const connectionHeaders = ["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te"];

/** How long a client may go on sending a body left unread once its answer is out, before its stream is reset. */
const discardGrace = 2000;

export class H2AnswerWriter {
    readonly #logError: ErrorLogger;
    readonly #failureMessage: (error: unknown) => string;

    // No `closing` here: at shutdown the session's GOAWAY says it (secure-server.ts), not each answer.
    constructor({ logError, failureMessage }: WriterOptions) {
        this.#logError = logError;
        this.#failureMessage = failureMessage;
    }

    write(stream: ServerHttp2Stream, incoming: H2Incoming, answer: Exclude<Answer, SocketAnswer>): void {
        if (stream.closed || stream.destroyed) return dropped(answer); // the client reset the stream while the handler worked
        try {
            if (incoming.discarded) afterAnswer(stream, () => setTimeout(() => endStream(stream), discardGrace).unref());
            const headers = withoutConnectionHeaders(answer.headers);
            switch (answer.kind) {
                case "bytes":
                    return writeBytes(stream, incoming.method === "HEAD", answer.status, headers, answer.body);
                case "stream":
                    return this.#writeStream(stream, incoming, answer.status, headers, answer.body);
                case "file":
                    return this.#writeFile(stream, incoming, { ...answer, headers });
                case "events":
                    return this.#writeEvents(stream, incoming, { ...answer, headers });
            }
        } catch (error) {
            this.fail(stream, error);
        }
    }

    /**
     * An answer that could not be written (a header value node:http2 refuses, say): a 500 if nothing is
     * sent yet, else the stream alone is reset.
     */
    fail(stream: ServerHttp2Stream, error: unknown): void {
        this.#logError("Could not send the answer:", error);
        if (stream.closed || stream.destroyed) return;
        if (stream.headersSent) return stream.close(constants.NGHTTP2_INTERNAL_ERROR);
        const message = this.#failureMessage(error);
        try {
            writeBytes(stream, false, 500, { "content-type": "text/plain; charset=utf-8" }, message);
        } catch {
            stream.close(constants.NGHTTP2_INTERNAL_ERROR);
        }
    }

    #writeStream(stream: ServerHttp2Stream, incoming: H2Incoming, status: number, headers: Readonly<AnswerHeaders>, body: ReadableStream<Uint8Array>): void {
        if (incoming.method === "HEAD") {
            body.cancel().catch(() => {});
            return writeBytes(stream, true, status, headers, null);
        }
        stream.respond(head(status, headers));
        pipeStreams(Readable.fromWeb(body as NodeReadableStream<Uint8Array>), stream).catch((error: unknown) => {
            if (!stream.destroyed) this.#logError("A response body stream failed:", error);
            if (!stream.closed) stream.close(constants.NGHTTP2_INTERNAL_ERROR);
        });
    }

    // The pipeline has decided status and headers (Content-Length included) from one stat. node:http2
    // opens the file before it sends them, so a file deleted since answers 404 rather than a cut-off 200.
    #writeFile(stream: ServerHttp2Stream, incoming: H2Incoming, answer: FileAnswer): void {
        const { status, headers, start, length } = answer;
        const isHead = incoming.method === "HEAD";
        if (length === 0 || isHead) return writeBytes(stream, isHead, status, headers, null); // a HEAD keeps the GET's length
        const onError = (error: NodeJS.ErrnoException) => {
            if (stream.headersSent) return endStream(stream);
            const gone = fileGoneAnswer(answer, error);
            if (gone.status === 500) this.#logError("A static file could not be read:", error);
            if (gone.kind !== "socket") this.write(stream, incoming, gone); // it never is: a 404 or a 500
        };
        stream.respondWithFile(answer.path, head(status, headers), { offset: start, length, onError });
    }

    #writeEvents(stream: ServerHttp2Stream, incoming: H2Incoming, { headers, stream: events }: EventsAnswer): void {
        const sink = new StreamSink(stream);
        sink.start(headers);
        stream.once("close", () => events.gone());
        events.open(sink, incoming.header("last-event-id"));
    }
}

/** What an answer held, let go of when its stream is gone before it could be written. */
function dropped(answer: Answer): void {
    if (answer.kind === "stream") answer.body.cancel().catch(() => {});
    else if (answer.kind === "events") answer.stream.gone();
}

/** respond()'s header object: node:http2 adds to it (the date), so it is always a new one, never the answer's own. */
function head(status: number, headers: Readonly<AnswerHeaders>): OutgoingHttpHeaders {
    return { ...headers, ":status": status };
}

/**
 * A body known in full, with its length; none, with a length of 0, whatever a returned Response declared.
 * A HEAD answer keeps the GET's length. respond() itself ends the stream of a HEAD, 204 or 304 answer,
 * which then takes no body.
 */
function writeBytes(stream: ServerHttp2Stream, isHead: boolean, status: number, headers: Readonly<AnswerHeaders>, body: string | Uint8Array | null): void {
    const out = head(status, headers);
    if (body !== null) out["content-length"] = typeof body === "string" ? Buffer.byteLength(body) : body.byteLength;
    else if (!isHead && status !== 204 && status !== 304) out["content-length"] = 0;
    if (body === null) return stream.respond(out, { endStream: true });
    stream.respond(out);
    if (!stream.writableEnded) stream.end(body);
}

function withoutConnectionHeaders(headers: Readonly<AnswerHeaders>): Readonly<AnswerHeaders> {
    if (!connectionHeaders.some((name) => Object.hasOwn(headers, name))) return headers;
    const kept = { ...headers };
    for (const name of connectionHeaders) delete kept[name];
    return kept;
}
