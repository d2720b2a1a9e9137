/**
 * The content codings this runtime's `fetch()` undoes before it hands over a body, while it leaves the
 * upstream's Content-Encoding and Content-Length in the headers. A fetched `Response` returned as it is
 * must lose both, or the client would be told to decode a body that is already decoded. Measured on
 * Node 20.20 (undici 6.24), Deno 2.9.6 and Bun 1.4.5; a coding not listed is passed through as it came.
 */
const decodedByRuntime: ReadonlySet<string> = new Set(
    "Deno" in globalThis ? ["gzip", "br"] : "Bun" in globalThis ? ["gzip", "x-gzip", "deflate", "br", "zstd"] : ["gzip", "x-gzip", "deflate", "br"],
);

/** Whether fetch() has already undone every coding `contentEncoding` lists (e.g. `gzip`, `gzip, br`). */
export function decodedByFetch(contentEncoding: string): boolean {
    const codings = contentEncoding.split(",").map((coding) => coding.trim().toLowerCase()).filter((coding) => coding !== "" && coding !== "identity");
    return codings.length > 0 && codings.every((coding) => decodedByRuntime.has(coding));
}
