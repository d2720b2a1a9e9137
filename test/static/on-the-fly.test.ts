/**
 * Static files without a precompressed sibling, compressed as they are read when the server compresses
 * (the default) and the file's type and size are worth it. Read through node:http: fetch() would decode.
 */
import assert from "node:assert/strict";
import { readFile, realpath } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { fixturesDir, serve } from "../helpers/server.ts";
import { Compression } from "../../src/response/compression.ts";
import { StaticFiles } from "../../src/static/static-files.ts";
import { httpGet } from "./http-get.ts";

const assets = path.join(fixturesDir, "static-prefix", "assets");
const largeHtml = await readFile(path.join(assets, "large.html"));

const compressing = await serve({ routes: {}, static: { dir: assets, prefix: "/static" } });
const lowThreshold = await serve({ routes: {}, static: { dir: assets, prefix: "/static" }, compress: { threshold: 10 } });
const notCompressing = await serve({ routes: {}, static: { dir: assets, prefix: "/static" }, compress: false });

const get = (server: { port: number }, pathname: string, headers: Record<string, string> = {}) => httpGet(server.port, pathname, headers);

describe("static files compressed as they are read", () => {
    it("sends a compressible file in the coding the client prefers, streamed, with its own ETag", async () => {
        const identityTag = String((await get(compressing, "/static/large.html")).headers["etag"]);
        for (const [coding, decode] of [["gzip", gunzipSync], ["br", brotliDecompressSync]] as const) {
            const answer = await get(compressing, "/static/large.html", { "accept-encoding": coding });
            assert.equal(answer.status, 200, coding);
            assert.equal(answer.headers["content-encoding"], coding);
            assert.equal(answer.headers["content-type"], "text/html; charset=utf-8");
            assert.equal(answer.headers["content-length"], undefined, "the compressed length is not known before the end");
            assert.equal(answer.headers["vary"], "Accept-Encoding");
            assert.equal(answer.headers["etag"], `${identityTag.slice(0, -1)}-${coding}"`);
            assert.ok(answer.body.byteLength < largeHtml.byteLength);
            assert.deepEqual(decode(answer.body), largeHtml);
        }
    });

    it("sends it as it is, with Vary, to a client that takes no coding", async () => {
        for (const headers of [{}, { "accept-encoding": "identity" }, { "accept-encoding": "deflate" }] as Record<string, string>[]) {
            const answer = await get(compressing, "/static/large.html", headers);
            assert.equal(answer.headers["content-encoding"], undefined);
            assert.equal(answer.headers["content-length"], String(largeHtml.byteLength));
            assert.equal(answer.headers["vary"], "Accept-Encoding");
            assert.deepEqual(answer.body, largeHtml);
        }
    });

    it("answers 304 to the compressed copy's ETag", async () => {
        const gzipTag = String((await get(compressing, "/static/large.html", { "accept-encoding": "gzip" })).headers["etag"]);
        const notModified = await get(compressing, "/static/large.html", { "accept-encoding": "gzip", "if-none-match": gzipTag });
        assert.equal(notModified.status, 304);
        assert.equal(notModified.headers["etag"], gzipTag);
        assert.equal(notModified.headers["content-encoding"], undefined);
        const identity = await get(compressing, "/static/large.html", { "if-none-match": gzipTag });
        assert.equal(identity.status, 200, "the gzip tag does not stand for the file as it is");
    });

    it("answers a Range request with a slice of the file itself", async () => {
        const partial = await get(compressing, "/static/large.html", { "accept-encoding": "gzip, br", range: "bytes=0-14" });
        assert.equal(partial.status, 206);
        assert.equal(partial.headers["content-encoding"], undefined);
        assert.equal(partial.headers["content-length"], "15");
        assert.deepEqual(partial.body, largeHtml.subarray(0, 15));
    });

    it("answers HEAD with the compressed answer's headers and no body", async () => {
        const answer = await httpGet(compressing.port, "/static/large.html", { "accept-encoding": "gzip" }, "HEAD");
        assert.equal(answer.status, 200);
        assert.equal(answer.headers["content-encoding"], "gzip");
        assert.equal(answer.body.byteLength, 0);
    });

    it("leaves small files, incompressible types and every file of a server that does not compress as they are", async () => {
        const cases: [typeof compressing, string][] = [
            [compressing, "/static/plain.txt"], // 37 bytes, below the threshold of 1024
            [compressing, "/static/photo.jpg"],
            [notCompressing, "/static/large.html"],
        ];
        for (const [server, pathname] of cases) {
            const answer = await get(server, pathname, { "accept-encoding": "gzip, br" });
            assert.equal(answer.headers["content-encoding"], undefined, pathname);
            assert.equal(answer.headers["vary"], undefined, pathname);
            assert.ok(answer.headers["content-length"], pathname);
        }
    });

    it("follows the compress option's threshold", async () => {
        const answer = await get(lowThreshold, "/static/plain.txt", { "accept-encoding": "gzip" });
        assert.equal(answer.headers["content-encoding"], "gzip");
        assert.equal(gunzipSync(answer.body).toString(), "plain text, no precompressed sibling\n");
    });

    it("never compresses a file that has precompressed siblings: the siblings are the choice", async () => {
        // gzip-only.css has a .gz sibling; a brotli-only client gets the file as it is, not brotli made here.
        const answer = await get(lowThreshold, "/static/gzip-only.css", { "accept-encoding": "br" });
        assert.equal(answer.headers["content-encoding"], undefined);
        assert.equal(answer.headers["vary"], "Accept-Encoding");
    });
});

describe("the static answer handed to the compressor", () => {
    const header = (headers: Record<string, string>) => (name: string) => headers[name];

    it("is the file with `encode` and the headers already saying so, without a Content-Length", async () => {
        const root = await realpath(assets);
        const staticFiles = new StaticFiles([{ root, prefix: "/s" }], { dotfiles: false, maxAge: 60, compression: new Compression({ threshold: 1024, encodings: ["gzip"] }) });
        const answer = await staticFiles.answer("/s/large.html", "", header({ "accept-encoding": "gzip" }), { vary: "Origin" });
        assert.ok(answer !== null && answer.kind === "file");
        assert.equal(answer.encode, "gzip");
        assert.equal(answer.status, 200);
        assert.equal(answer.start, 0);
        assert.equal(answer.length, largeHtml.byteLength);
        assert.equal(answer.headers["content-encoding"], "gzip");
        assert.equal(answer.headers["content-length"], undefined);
        assert.equal(answer.headers["vary"], "Origin, Accept-Encoding");
        assert.equal(answer.headers["cache-control"], "public, max-age=60");
        assert.match(String(answer.headers["etag"]), /-gzip"$/);
        assert.equal(await staticFiles.answer("/s/missing.html", "", header({}), {}), null);
        assert.equal(await staticFiles.answer("/large.html", "", header({}), {}), null);
    });
});
