/**
 * Answers compressed on the fly with the coding the client's Accept-Encoding prefers among those the
 * server offers (brotli, zstd where the runtime has it, gzip): a body in memory at once, a stream chunk
 * by chunk, a static file as it is read. The static folder asks choose() for its files and sets their
 * headers itself, and apply() reads a file so chosen through the compressor; any other answer apply()
 * compresses, or leaves as it is.
 */
import { Buffer } from "node:buffer";
import { open, type FileHandle } from "node:fs/promises";
import type { Answer, AnswerHeaders, BytesAnswer, FileAnswer, HeaderReader, StreamAnswer } from "../contract.ts";
import type { Encoding } from "../types.ts";
import { preferredEncoding } from "./accept-encoding.ts";
import { canEncode, compressBytes, compressedStream } from "./compress-stream.ts";
import { isCompressible } from "./compressible.ts";

export interface CompressionSettings {
    /** Bodies smaller than this many bytes are sent as they are. */
    readonly threshold: number;
    /** In the server's order of preference. */
    readonly encodings: readonly Encoding[];
}

export class Compression {
    readonly settings: CompressionSettings;
    /** settings.encodings that this runtime can produce, decided once. */
    readonly #offered: readonly Encoding[];
    #lastAccept: string | undefined;
    /** What #lastAccept chose; undefined before the first choice. */
    #lastChoice: Encoding | null | undefined;

    constructor(settings: CompressionSettings) {
        this.settings = settings;
        this.#offered = Object.freeze(settings.encodings.filter(canEncode));
    }

    /** The answer compressed for the request whose headers `header` reads, or as it is. */
    apply(answer: Answer, header: HeaderReader): Answer {
        switch (answer.kind) {
            case "bytes":
                return this.#bytes(answer, header);
            case "stream":
                return this.#stream(answer, header);
            case "file":
                return answer.encode === undefined ? answer : encodedFile(answer, answer.encode);
            default:
                // Never an event stream (each event must leave when it is sent) or a WebSocket (no body).
                return answer;
        }
    }

    /** The coding to compress a body of this type and size with for this request, or null. */
    choose(header: HeaderReader, contentType: string, size: number): Encoding | null {
        return this.compresses(contentType, size) ? this.#encodingFor(header) : null;
    }

    /** Whether a body of this type and size is compressed for a client that takes any coding: if so, its answers vary by Accept-Encoding. */
    compresses(contentType: string, size: number): boolean {
        return size >= this.settings.threshold && this.#offered.length > 0 && isCompressible(contentType);
    }

    /**
     * The coding the request's Accept-Encoding prefers among those offered. Clients send the same few
     * values again and again (a browser, curl, a proxy), so the last one is remembered with its result.
     */
    #encodingFor(header: HeaderReader): Encoding | null {
        const accept = header("accept-encoding");
        if (accept !== this.#lastAccept || this.#lastChoice === undefined) {
            this.#lastAccept = accept;
            this.#lastChoice = preferredEncoding(accept, this.#offered);
        }
        return this.#lastChoice;
    }

    #bytes(answer: BytesAnswer, header: HeaderReader): Answer {
        const { body } = answer;
        // The size first: most answers are small, and this is the cheapest test that refuses them.
        if (body === null || !atLeast(body, this.settings.threshold) || !mayCompress(answer)) return answer;
        const encoding = this.#encodingFor(header);
        if (encoding === null) return { ...answer, headers: varied(answer.headers, answer.reused === true) };
        const compressed = compressBytes(body, encoding);
        return { kind: "bytes", status: answer.status, headers: encodedHeaders(answer.headers, encoding, compressed.byteLength), body: compressed };
    }

    #stream(answer: StreamAnswer, header: HeaderReader): Answer {
        // A stream's size is its Content-Length if it declares one (a Blob does), else unknown: compressed.
        const length = Number(answer.headers["content-length"] ?? Number.NaN);
        if (length < this.settings.threshold || !mayCompress(answer)) return answer;
        const encoding = this.#encodingFor(header);
        if (encoding === null) return { ...answer, headers: varied(answer.headers, false) };
        return { kind: "stream", status: answer.status, headers: encodedHeaders(answer.headers, encoding, null), body: compressedStream(answer.body, encoding) };
    }
}

/** Whether a string or bytes body has at least `threshold` bytes, without encoding a string that is plainly long or short. */
function atLeast(body: string | Uint8Array, threshold: number): boolean {
    if (typeof body !== "string") return body.byteLength >= threshold;
    // Each UTF-16 unit of a string is 1 to 3 UTF-8 bytes (a surrogate pair, two units, is 4).
    if (body.length >= threshold) return true;
    if (body.length * 3 < threshold) return false;
    return Buffer.byteLength(body) >= threshold;
}

/**
 * Whether an answer's status and headers allow a compressed body: not a 1xx, 204, 206 or 304 (no body,
 * or a byte range of the identity body), not already encoded, not a range, not forbidden by
 * `Cache-Control: no-transform`, and of a compressible Content-Type (none: not knowing what it is, no).
 */
function mayCompress({ status, headers }: BytesAnswer | StreamAnswer): boolean {
    if (status < 200 || status === 204 || status === 206 || status === 304) return false;
    const contentType = headers["content-type"];
    if (typeof contentType !== "string" || !isCompressible(contentType)) return false;
    if (headers["content-encoding"] !== undefined || headers["content-range"] !== undefined) return false;
    const cacheControl = headers["cache-control"];
    return cacheControl === undefined || !/no-transform/i.test(String(cacheControl));
}

/**
 * The headers with `Vary: Accept-Encoding`, for an answer that was not compressed only because the
 * client did not ask: a cache must not hand it to one that did. Shared headers (a `reused` answer) get
 * one shared result, so that the adapter can keep reusing what it builds from them.
 */
const variedShared = new WeakMap<Readonly<AnswerHeaders>, Readonly<AnswerHeaders>>();

function varied(headers: Readonly<AnswerHeaders>, shared: boolean): Readonly<AnswerHeaders> {
    if (!shared) return { ...headers, vary: withAcceptEncoding(headers["vary"]) };
    let result = variedShared.get(headers);
    if (result === undefined) variedShared.set(headers, (result = Object.freeze({ ...headers, vary: withAcceptEncoding(headers["vary"]) })));
    return result;
}

/** The headers of a compressed answer: a new object, since the given one may be shared or frozen. */
function encodedHeaders(headers: Readonly<AnswerHeaders>, encoding: Encoding, length: number | null): AnswerHeaders {
    const encoded: AnswerHeaders = { ...headers, "content-encoding": encoding, vary: withAcceptEncoding(headers["vary"]) };
    if (length === null) delete encoded["content-length"]; // a stream's compressed length is known only at its end
    else encoded["content-length"] = String(length);
    const etag = headers["etag"];
    if (typeof etag === "string") encoded["etag"] = etagFor(etag, encoding);
    return encoded;
}

/** A Vary value that names Accept-Encoding once: added to the names already there; `*` stays `*`. */
export function withAcceptEncoding(vary: string | string[] | undefined): string {
    if (vary === undefined || vary === "") return "Accept-Encoding";
    const value = Array.isArray(vary) ? vary.join(", ") : vary;
    const names = value.split(",").map((name) => name.trim().toLowerCase());
    if (names.includes("*") || names.includes("accept-encoding")) return value;
    return `${value}, Accept-Encoding`;
}

/**
 * The entity tag of the encoded body: `"abc"` → `"abc-br"`, `W/"x"` → `W/"x-br"`. The compressed bytes
 * differ from the identity ones, so they need their own tag, or a cache could answer a conditional
 * request for one with the other.
 */
export function etagFor(etag: string, encoding: Encoding): string {
    return etag.endsWith('"') ? `${etag.slice(0, -1)}-${encoding}"` : `${etag}-${encoding}`;
}

/** A static file the static folder chose to compress (its headers already say so), as a compressed stream. */
function encodedFile(answer: FileAnswer, encoding: Encoding): StreamAnswer {
    const { "content-length": _identityLength, ...headers } = answer.headers;
    return { kind: "stream", status: answer.status, headers, body: compressedStream(fileRange(answer.path, answer.start, answer.length), encoding) };
}

const fileChunkSize = 64 * 1024;

/**
 * `length` bytes of a file from `start`, as a stream that opens the file at its first read (a HEAD
 * request cancels it before then, and opens nothing) and reads a chunk per read, no further ahead.
 */
function fileRange(path: string, start: number, length: number): ReadableStream<Uint8Array> {
    let file: FileHandle | undefined;
    let position = start;
    const end = start + length;
    const close = () => file?.close().catch(() => {});
    return new ReadableStream<Uint8Array>(
        {
            async pull(controller) {
                file ??= await open(path);
                const size = Math.min(fileChunkSize, end - position);
                const { bytesRead, buffer } = size === 0 ? { bytesRead: 0, buffer: null } : await file.read(new Uint8Array(size), 0, size, position);
                position += bytesRead;
                if (buffer !== null && bytesRead > 0) controller.enqueue(buffer.subarray(0, bytesRead));
                // The end of the range, or of a file shortened since its stat: what was read is all there is.
                if (position >= end || bytesRead === 0) {
                    await close();
                    controller.close();
                }
            },
            cancel: close,
        },
        { highWaterMark: 0 },
    );
}
