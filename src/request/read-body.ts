import { Buffer } from "node:buffer";
import type { Deadline, Deadlines } from "../deadlines.ts";
import { HTTPError, isHTTPError } from "../errors.ts";
import type { Limits } from "../limits.ts";
import type { Incoming } from "../contract.ts";
import { fieldsToObject } from "./query.ts";
import { parseClientJSON } from "./safe-json.ts";

/** What a body must keep to: the server's limits, and the deadline a silent body runs into. */
export interface BodyRules extends Pick<Limits, "maxBodySize" | "maxFields" | "maxFiles" | "maxJsonDepth"> {
    silence: Deadlines;
}

/**
 * The request body, parsed by its Content-Type:
 * none → null; text/plain and urlencoded → JSON if it parses, else text / fields;
 * application/json → JSON (400 if malformed); octet-stream or no type → Uint8Array;
 * multipart/form-data → FormData; any other type → a Blob of that type.
 */
export function readBody(incoming: Incoming, rules: BodyRules): Promise<unknown> {
    const { maxBodySize } = rules;
    const declared = incoming.header("content-length");
    if (Number(declared ?? 0) > maxBodySize) return Promise.reject(bodyTooLarge(incoming, maxBodySize));
    // Only where the adapter reads text itself: on Node, reading the Content-Type before the body rather
    // than after measurably costs the echo (bench/README.md), so Node keeps the order below.
    if (declared !== undefined && incoming.readText !== undefined) {
        const contentType = incoming.header("content-type");
        const mediaType = contentType === undefined ? undefined : mediaTypeOf(contentType);
        // No deadline here: the runtime reads the body whole, and a deadline around it cost Bun's echo a tenth
        // of its throughput (bench/README.md); Bun's own idle timeout bounds a silent body, Deno has no such bound.
        if (isUTF8Text(mediaType, contentType)) {
            return incoming.readText().then((text) => (text === "" ? null : parseText(text, mediaType!, rules)), (error: unknown) => Promise.reject(unreadable(error)));
        }
    }
    if (declared === undefined) assertChunkedOnly(incoming);
    const chunks: Uint8Array[] = [];
    let size = 0;
    return withinDeadline(incoming, rules, (deadline) =>
        incoming.readChunks((chunk) => {
            deadline?.touch();
            size += chunk.length;
            if (size > maxBodySize) throw bodyTooLarge(incoming, maxBodySize);
            chunks.push(chunk);
        }),
    ).then(() => (size === 0 ? null : parseBody(concat(chunks, size), incoming.header("content-type"), rules)));
}

/**
 * A body nothing will read (no route answers the request): one declared past the limit is a 413, as for
 * a route; any other is thrown away unread and the connection closes after the answer, so that a client
 * cannot make the server take an endless body by sending it where no route looks.
 */
export function refuseUnreadBody(incoming: Incoming, maxBodySize: number): void {
    if (Number(incoming.header("content-length") ?? 0) > maxBodySize) throw bodyTooLarge(incoming, maxBodySize);
    incoming.discardBody();
}

/**
 * Reads with the body's deadline running: a body silent for bodyTimeout ms answers 408 and its
 * connection closes. (Where the runtime reads a body with a Content-Length whole, no chunk touches
 * the deadline: the whole body must arrive within bodyTimeout.)
 */
function withinDeadline<T>(incoming: Incoming, rules: BodyRules, read: (deadline: Deadline | null) => Promise<T>): Promise<T> {
    let timedOut: ((error: HTTPError) => void) | undefined;
    const deadline = rules.silence.start(() => {
        incoming.discardBody();
        timedOut?.(new HTTPError(408, `The request body stopped arriving: nothing for ${rules.silence.timeout} ms (option bodyTimeout)`));
    });
    if (deadline === null) return read(null).catch((error: unknown) => Promise.reject(unreadable(error)));
    return new Promise<T>((resolve, reject) => {
        timedOut = reject;
        read(deadline).then(
            (value) => deadline.cancel() && resolve(value),
            (error: unknown) => deadline.cancel() && reject(unreadable(error)),
        );
    });
}

/** A body the connection stopped delivering (the client went away, or the runtime gave up on it) is the client's doing, not a 500. */
function unreadable(error: unknown): unknown {
    if (isHTTPError(error)) return error;
    return new HTTPError(400, `The request body could not be read: ${error instanceof Error ? error.message : String(error)}`);
}

/**
 * A body without a Content-Length comes chunked; another coding on top (`gzip, chunked`) would reach the
 * handler still encoded, so it is refused as RFC 9112 §6.1 says (Bun refuses it itself, with 400).
 */
function assertChunkedOnly(incoming: Incoming): void {
    const codings = incoming.header("transfer-encoding");
    if (codings === undefined || codings.trim().toLowerCase() === "chunked") return;
    incoming.discardBody();
    throw new HTTPError(501, `Transfer-Encoding ${JSON.stringify(codings)} is not supported: send the body chunked, or with a Content-Length`);
}

function bodyTooLarge(incoming: Incoming, maxBodySize: number): HTTPError {
    incoming.discardBody();
    return new HTTPError(413, `Request body is larger than maxBodySize (${maxBodySize} bytes)`);
}

/** The body's bytes in one piece: the one chunk as it came (made a plain Uint8Array only if the handler gets bytes), or a copy of them all. */
function concat(chunks: Uint8Array[], size: number): Uint8Array {
    if (chunks.length === 1) return chunks[0]!;
    const bytes = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
        bytes.set(chunk, offset);
        offset += chunk.length;
    }
    return bytes;
}

// Handlers are promised a Uint8Array, not a runtime's subclass of it (Node's Buffer).
function toPlainBytes(chunk: Uint8Array): Uint8Array {
    return chunk.constructor === Uint8Array ? chunk : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

function parseBody(bytes: Uint8Array, contentType: string | undefined, rules: BodyRules): unknown {
    if (contentType === undefined) return toPlainBytes(bytes);
    const mediaType = mediaTypeOf(contentType);
    switch (mediaType) {
        case "application/octet-stream":
            return toPlainBytes(bytes);
        case "application/json":
        case "text/plain":
        case "application/x-www-form-urlencoded":
            return parseText(decodeText(bytes, contentType), mediaType, rules);
        case "multipart/form-data":
            return parseMultipart(bytes, contentType, rules);
        default:
            return new Blob([bytes], { type: contentType });
    }
}

/** A JSON, text/plain or urlencoded body, once decoded. */
function parseText(text: string, mediaType: string, rules: BodyRules): unknown {
    if (mediaType === "application/json") return parseJSON(text, rules.maxJsonDepth);
    if (mediaType === "text/plain") return parseJSONOr(text, rules.maxJsonDepth, (plain) => plain);
    return parseJSONOr(text, rules.maxJsonDepth, (fields) => parseFields(fields, rules.maxFields));
}

function parseFields(fields: string, maxFields: number): Record<string, string | string[]> {
    let count = 1;
    for (let at = fields.indexOf("&"); at !== -1; at = fields.indexOf("&", at + 1)) {
        if (++count > maxFields) throw tooMany("fields", maxFields, "maxFields");
    }
    return fieldsToObject(new URLSearchParams(fields));
}

function tooMany(what: string, limit: number, option: string): HTTPError {
    return new HTTPError(413, `The form has more than ${limit} ${what} (option ${option})`);
}

const textTypes = new Set(["application/json", "text/plain", "application/x-www-form-urlencoded"]);

/** A text media type in UTF-8 (said or implied), which a runtime's own text reader decodes as vshs would. */
function isUTF8Text(mediaType: string | undefined, contentType: string | undefined): boolean {
    if (mediaType === undefined || !textTypes.has(mediaType)) return false;
    const charset = charsetOf(contentType!);
    return charset === undefined || /^utf-?8$/i.test(charset);
}

function mediaTypeOf(contentType: string): string {
    const end = contentType.indexOf(";");
    return (end === -1 ? contentType : contentType.slice(0, end)).trim().toLowerCase();
}

function charsetOf(contentType: string): string | undefined {
    return contentType.includes(";") ? /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType)?.[1] : undefined;
}

const utf8 = new TextDecoder();

function decodeText(bytes: Uint8Array, contentType: string): string {
    const charset = charsetOf(contentType);
    if (charset === undefined || /^utf-?8$/i.test(charset)) return utf8.decode(bytes);
    try {
        return new TextDecoder(charset).decode(bytes);
    } catch {
        throw new HTTPError(415, `Unsupported charset "${charset}"`);
    }
}

function parseJSON(text: string, maxDepth: number): unknown {
    try {
        return parseClientJSON(text, maxDepth);
    } catch (error) {
        if (error instanceof SyntaxError) throw new HTTPError(400, `Malformed JSON body: ${error.message}`);
        throw error;
    }
}

function parseJSONOr(text: string, maxDepth: number, fallback: (text: string) => unknown): unknown {
    try {
        return parseClientJSON(text, maxDepth);
    } catch (error) {
        if (error instanceof SyntaxError) return fallback(text);
        throw error;
    }
}

/** Parts are counted before parsing (one search for the boundary), files and fields after. */
async function parseMultipart(bytes: Uint8Array, contentType: string, { maxFields, maxFiles }: BodyRules): Promise<FormData> {
    const boundaries = [...contentType.matchAll(/;\s*boundary\s*=\s*(?:"([^"]+)"|([^";\s]+))/gi)];
    if (boundaries.length > 1) throw new HTTPError(400, "The Content-Type names more than one multipart boundary");
    const boundary = boundaries[0];
    if (boundary !== undefined && countParts(bytes, boundary[1] ?? boundary[2]!) > maxFields + maxFiles) {
        throw new HTTPError(413, `The form has more than ${maxFields + maxFiles} parts (options maxFields and maxFiles)`);
    }
    let form: FormData;
    try {
        form = await new Response(bytes, { headers: { "content-type": contentType } }).formData();
    } catch (error) {
        throw new HTTPError(400, `Malformed multipart/form-data body: ${(error as Error).message}`);
    }
    let files = 0;
    let fields = 0;
    for (const value of form.values()) {
        if (typeof value === "string") {
            if (++fields > maxFields) throw tooMany("fields", maxFields, "maxFields");
        } else if (++files > maxFiles) {
            throw tooMany("files", maxFiles, "maxFiles");
        }
    }
    return form;
}

function countParts(bytes: Uint8Array, boundary: string): number {
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const delimiter = `--${boundary}`;
    let parts = 0;
    for (let at = buffer.indexOf(delimiter); at !== -1; at = buffer.indexOf(delimiter, at + delimiter.length)) parts++;
    return parts - 1; // the last delimiter closes the form
}
