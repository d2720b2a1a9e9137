import type { Stats } from "node:fs";
import fresh from "fresh"; // the conditional-GET rules (If-None-Match, If-Modified-Since) as Express applies them
import parseRange from "range-parser"; // Range header parsing, overlapping ranges combined
import { HTTPError } from "../errors.ts";
import type { Answer, AnswerHeaders, FileAnswer, HeaderReader } from "../contract.ts";
import type { Encoding } from "../types.ts";
import { textAnswer } from "../response/answer.ts";
import { etagFor, withAcceptEncoding } from "../response/compression.ts";
import { isByteRangeRequest, type Variant } from "./variants.ts";

interface FileVersion {
    etag: string;
    lastModified: string;
}

/**
 * The answer for a file of a static folder, decided from the variant chosen (its one stat) and the
 * request's conditional and Range headers: 200 with the file, 206 with one byte range, 304 without
 * reading the file, 412 or 416. The same on every runtime: adapters only copy the byte range named in
 * a `file` answer to the client.
 */
export function fileAnswer(variant: Variant, header: HeaderReader, baseHeaders: Readonly<AnswerHeaders>, cacheControl: string): Answer {
    const { stats } = variant;
    const version = versionOf(stats, variant.encoding);
    const headers: AnswerHeaders = { ...baseHeaders, "accept-ranges": "bytes", "cache-control": cacheControl, "last-modified": version.lastModified, etag: version.etag };
    if (variant.varies) headers["vary"] = withAcceptEncoding(baseHeaders["vary"]);
    if (preconditionFails(header, version)) throw new HTTPError(412, "Precondition Failed: the file has changed");
    if (isConditional(header) && fresh(requestHeaders(header), { etag: version.etag, "last-modified": version.lastModified })) {
        return { kind: "bytes", status: 304, headers, body: null };
    }
    headers["content-type"] = variant.contentType;
    if (variant.encoding !== null) headers["content-encoding"] = variant.encoding;
    // No Content-Length: the compressor streams the body, and only it knows how long that will be.
    if (variant.encodeAsRead && variant.encoding !== null) return { kind: "file", status: 200, headers, path: variant.path, start: 0, length: stats.size, encode: variant.encoding };
    // A compressed variant is only chosen without a Range (see chooseVariant), so a range is of the file itself.
    const range = variant.encoding === null ? byteRange(header, version, stats.size) : null;
    if (range === "unsatisfiable") {
        throw new HTTPError(416, `Range Not Satisfiable: the file has ${stats.size} bytes`, { "content-range": `bytes */${stats.size}` });
    }
    if (range === null) return withContent(200, headers, variant.path, 0, stats.size);
    headers["content-range"] = `bytes ${range.start}-${range.end}/${stats.size}`;
    return withContent(206, headers, variant.path, range.start, range.end - range.start + 1);
}

/**
 * A weak tag from size and modification time, as Express and @fastify/static make it: no need to read
 * the file. Each coding gets its own tag (RFC 9110 §8.8.3: a tag names one representation), so a 304
 * never confirms a brotli copy to a client that holds the gzip one.
 */
function versionOf(stats: Stats, encoding: Encoding | null): FileVersion {
    const etag = `W/"${stats.size.toString(16)}-${stats.mtime.getTime().toString(16)}"`;
    return { etag: encoding === null ? etag : etagFor(etag, encoding), lastModified: stats.mtime.toUTCString() };
}

function withContent(status: 200 | 206, headers: AnswerHeaders, file: string, start: number, length: number): Answer {
    headers["content-length"] = String(length);
    return { kind: "file", status, headers, path: file, start, length };
}

function isConditional(header: HeaderReader): boolean {
    return header("if-none-match") !== undefined || header("if-modified-since") !== undefined;
}

function requestHeaders(header: HeaderReader): Record<string, string | undefined> {
    return { "if-none-match": header("if-none-match"), "if-modified-since": header("if-modified-since"), "cache-control": header("cache-control") };
}

/** If-Match and If-Unmodified-Since: a client that wants to act only on the version it knows. */
function preconditionFails(header: HeaderReader, { etag, lastModified }: FileVersion): boolean {
    const ifMatch = header("if-match");
    if (ifMatch !== undefined) {
        if (ifMatch.trim() === "*") return false;
        const strong = etag.slice(2); // our tags are weak; a client may send them either way
        return !ifMatch.split(",").some((tag) => tag.trim() === etag || tag.trim() === strong);
    }
    const unmodifiedSince = Date.parse(header("if-unmodified-since") ?? "");
    if (Number.isNaN(unmodifiedSince)) return false;
    return Date.parse(lastModified) > unmodifiedSince;
}

/**
 * The one byte range to send, null for the whole file (no Range, a stale If-Range, several ranges or
 * a Range that does not parse), or "unsatisfiable" (416).
 */
function byteRange(header: HeaderReader, version: FileVersion, size: number): { start: number; end: number } | null | "unsatisfiable" {
    if (!isByteRangeRequest(header) || !ifRangeHolds(header, version)) return null;
    const ranges = parseRange(size, header("range")!, { combine: true });
    if (ranges === -1) return "unsatisfiable";
    if (ranges === -2 || ranges.length !== 1) return null;
    return ranges[0]!;
}

function ifRangeHolds(header: HeaderReader, { etag, lastModified }: FileVersion): boolean {
    const ifRange = header("if-range");
    if (ifRange === undefined) return true;
    if (ifRange.includes('"')) return ifRange.includes(etag);
    return Date.parse(lastModified) <= Date.parse(ifRange);
}

const fileHeaderNames = new Set(["accept-ranges", "cache-control", "last-modified", "etag", "content-type", "content-encoding", "content-length", "content-range"]);

/** For an adapter that finds the file gone (or unreadable) between the pipeline's stat and its open. */
export function fileGoneAnswer(answer: FileAnswer, error: unknown): Answer {
    const headers = Object.fromEntries(Object.entries(answer.headers).filter(([name]) => !fileHeaderNames.has(name)));
    const missing = (error as NodeJS.ErrnoException | null)?.code === "ENOENT";
    return textAnswer(missing ? 404 : 500, headers, missing ? "Not Found" : "The file could not be read");
}
