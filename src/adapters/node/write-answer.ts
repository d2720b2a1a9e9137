/** The pipeline's `Answer` written to a node:http ServerResponse (or node:http2's: h2-write-answer.ts). */
import { createReadStream } from "node:fs";
import type { ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { pipeline as pipeStreams } from "node:stream/promises";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import type { Answer, AnswerHeaders, ErrorLogger, EventsAnswer, FileAnswer } from "../../contract.ts";
import { fileGoneAnswer } from "../../static/file-answer.ts";
import type { NodeIncoming, NodeRequest, NodeResponse } from "./incoming.ts";
import { ResponseSink } from "./event-sink.ts";

export interface WriterOptions {
    logError: ErrorLogger;
    failureMessage: (error: unknown) => string;
    /** Whether the server is shutting down: answers then close their connection. */
    closing: () => boolean;
}

export class AnswerWriter {
    readonly #logError: ErrorLogger;
    readonly #failureMessage: (error: unknown) => string;
    readonly #closing: () => boolean;

    constructor({ logError, failureMessage, closing }: WriterOptions) {
        this.#logError = logError;
        this.#failureMessage = failureMessage;
        this.#closing = closing;
    }

    write(req: NodeRequest, res: NodeResponse, incoming: NodeIncoming, answer: Answer): void {
        try {
            const closes = incoming.discarded || this.#closing();
            const headers = closes ? { ...answer.headers, connection: "close" } : answer.headers;
            if (incoming.discarded) closeSoonAfter(res, req);
            switch (answer.kind) {
                case "bytes":
                    return writeBytes(req, res, answer.status, headers, answer.body, answer.reused === true && !closes);
                case "stream":
                    return this.#writeStream(res, answer.status, headers, answer.body);
                case "file":
                    return this.#writeFile(req, res, incoming, { ...answer, headers });
                case "events":
                    return this.#writeEvents(incoming, res, { ...answer, headers });
            }
        } catch (error) {
            this.fail(res, error);
        }
    }

    /** An answer that could not be written: a 500 if nothing is sent yet, else the connection is dropped. */
    fail(res: NodeResponse, error: unknown): void {
        this.#logError("Could not send the answer:", error);
        if (res.headersSent) {
            res.destroy();
            return;
        }
        const message = this.#failureMessage(error);
        res.writeHead(500, { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(message) });
        res.end(message);
    }

    #writeStream(res: NodeResponse, status: number, headers: Readonly<AnswerHeaders>, body: ReadableStream<Uint8Array>): void {
        res.writeHead(status, headers);
        pipeStreams(Readable.fromWeb(body as NodeReadableStream<Uint8Array>), res).catch((error: unknown) => {
            if (!res.destroyed) this.#logError("A response body stream failed:", error);
            res.destroy();
        });
    }

    // The pipeline has decided status and headers from one stat; the file is opened before they are sent,
    // so a file deleted since answers 404 rather than a cut-off 200.
    #writeFile(req: NodeRequest, res: NodeResponse, incoming: NodeIncoming, answer: FileAnswer): void {
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
            this.write(req, res, incoming, gone);
        });
    }

    #writeEvents(incoming: NodeIncoming, res: NodeResponse, { headers, stream }: EventsAnswer): void {
        const sink = new ResponseSink(res, this.#closing);
        if (sink.closed) return stream.gone(); // the client left while the handler worked: nothing to start
        sink.start(headers);
        res.once("close", () => stream.gone());
        stream.open(sink, incoming.header("last-event-id"));
    }
}

/**
 * A body known in full, with its length; none, with a length of 0, whatever a returned Response declared.
 * `shared`: the headers object serves many answers alike, so the list writeHead takes is built from it once.
 */
function writeBytes(req: NodeRequest, res: NodeResponse, status: number, headers: Readonly<AnswerHeaders>, body: string | Uint8Array | null, shared = false): void {
    let length: string | undefined;
    if (body !== null) length = String(typeof body === "string" ? Buffer.byteLength(body) : body.byteLength);
    else if (req.method !== "HEAD" && status !== 204 && status !== 304) length = "0"; // a HEAD answer keeps the GET's length
    if (shared && length !== undefined) res.writeHead(status, flatWithLength(headers, length));
    else res.writeHead(status, length === undefined ? headers : { ...headers, "content-length": length });
    if (body === null) res.end();
    else res.end(body);
}

const flatLists = new WeakMap<Readonly<AnswerHeaders>, string[]>();

/**
 * Shared headers as the flat [name, value, …] list writeHead takes, made once per headers object, with
 * `length` as the Content-Length of its last pair. writeHead turns the list into text before it returns,
 * so one list serves every answer.
 */
function flatWithLength(headers: Readonly<AnswerHeaders>, length: string): string[] {
    let flat = flatLists.get(headers);
    if (flat === undefined) {
        flat = [];
        for (const [name, value] of Object.entries(headers)) {
            if (name === "content-length" || value === undefined) continue;
            for (const each of Array.isArray(value) ? value : [value]) flat.push(name, String(each));
        }
        flat.push("content-length", length);
        flatLists.set(headers, flat);
    }
    flat[flat.length - 1] = length;
    return flat;
}

/**
 * After an answer sent before the body was read (413, 404), the rest of the body is read and thrown away
 * so the client can read the answer; a client that keeps sending is cut off after a grace period.
 */
function closeSoonAfter(res: NodeResponse, req: NodeRequest): void {
    res.once("finish", () => setTimeout(() => req.socket.destroy(), 2000).unref());
}
