/**
 * Which bytes answer a request for a static file: the file itself, a precompressed sibling of it
 * (`app.js.br` for `app.js`), or the file compressed as it is read. Decided before any conditional
 * header is looked at, because each choice has its own ETag.
 */
import { stat } from "node:fs/promises";
import type { Stats } from "node:fs";
import path from "node:path";
import mime from "mime-types"; // Content-Type by extension, from the mime-db registry
import { HTTPError } from "../errors.ts";
import type { HeaderReader } from "../contract.ts";
import type { Encoding } from "../types.ts";
import { preferredEncoding } from "../response/accept-encoding.ts";
import type { Compression } from "../response/compression.ts";

/** A precompressed sibling of a static file, found beside it. */
export interface Precompressed {
    readonly encoding: Encoding;
    readonly path: string;
}

/** The sibling file names looked for, in the server's order of preference (brotli is the smallest). */
export const precompressedSuffixes: readonly { encoding: Encoding; suffix: string }[] = [
    { encoding: "br", suffix: ".br" },
    { encoding: "zstd", suffix: ".zst" },
    { encoding: "gzip", suffix: ".gz" },
];

/** What fileAnswer sends: one file's bytes, one stat of them, and how they are coded. */
export interface Variant {
    /** The file whose bytes are sent: the one asked for, or its precompressed sibling. */
    readonly path: string;
    readonly stats: Stats;
    /** The Content-Type of the file asked for: `app.js.br` is still JavaScript, in brotli. */
    readonly contentType: string;
    /** The Content-Encoding of the answer, or null for the bytes as they are. */
    readonly encoding: Encoding | null;
    /** Whether `encoding` is applied as the file is read (there was no sibling to send). */
    readonly encodeAsRead: boolean;
    /** Whether another Accept-Encoding could have chosen other bytes: caches must then key on it (Vary). */
    readonly varies: boolean;
}

/**
 * The variant of `file` for this request. A Range request always gets the file itself: its byte
 * offsets count the file's bytes, and a slice of a compressed body is useless to the client.
 * Without precompressed siblings, `compression` (null: never) may compress the file as it is read.
 */
export async function chooseVariant(
    file: string,
    precompressed: readonly Precompressed[],
    header: HeaderReader,
    compression: Compression | null,
): Promise<Variant> {
    const contentType = mime.contentType(path.extname(file)) || "application/octet-stream";
    const ranged = isByteRangeRequest(header);
    if (precompressed.length > 0) {
        const sibling = ranged ? null : preferredSibling(header, precompressed);
        // A sibling deleted within the second its lookup is remembered: the file itself still answers.
        const stats = sibling === null ? null : await fileStats(sibling.path);
        if (sibling !== null && stats !== null) return { path: sibling.path, stats, contentType, encoding: sibling.encoding, encodeAsRead: false, varies: true };
        return { path: file, stats: await requiredStats(file), contentType, encoding: null, encodeAsRead: false, varies: true };
    }
    const stats = await requiredStats(file);
    const encoding = compression === null || ranged ? null : compression.choose(header, contentType, stats.size);
    const varies = encoding !== null || (compression !== null && compression.compresses(contentType, stats.size));
    return { path: file, stats, contentType, encoding, encodeAsRead: encoding !== null, varies };
}

/** `Range: bytes=…`, whether or not it will be honoured (If-Range, several ranges): then no coding is chosen. */
export function isByteRangeRequest(header: HeaderReader): boolean {
    const range = header("range");
    return range !== undefined && /^ *bytes=/.test(range);
}

function preferredSibling(header: HeaderReader, precompressed: readonly Precompressed[]): Precompressed | null {
    const encoding = preferredEncoding(header("accept-encoding"), precompressed.map((each) => each.encoding));
    return precompressed.find((each) => each.encoding === encoding) ?? null;
}

async function requiredStats(file: string): Promise<Stats> {
    const stats = await fileStats(file);
    if (stats === null) throw new HTTPError(404, "Not Found");
    return stats;
}

async function fileStats(file: string): Promise<Stats | null> {
    const stats = await stat(file).catch(() => null);
    return stats !== null && stats.isFile() ? stats : null;
}
