/**
 * Precompressed siblings (`app.js.br`, `app.js.zst`, `app.js.gz`) sent in place of the file when the
 * request's Accept-Encoding takes them. Read through node:http: fetch() would decode the bodies silently.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { brotliCompressSync, brotliDecompressSync, gunzipSync } from "node:zlib";
import { fixturesDir, serve } from "../helpers/server.ts";
import { httpGet, type WireAnswer } from "./http-get.ts";

const assets = path.join(fixturesDir, "static-prefix", "assets");
const file = (name: string) => readFile(path.join(assets, name));
const appJs = await file("app.js");
const appJsBr = await file("app.js.br");
const appJsGz = await file("app.js.gz");
const appJsZst = await file("app.js.zst");
const css = await file("gzip-only.css");
const cssGz = await file("gzip-only.css.gz");

// The same answers whether or not the server compresses answers itself: precompressed files are sent either way.
const compressing = await serve({ routes: {}, static: { dir: assets, prefix: "/static" } });
const notCompressing = await serve({ routes: {}, static: { dir: assets, prefix: "/static" }, compress: false });
const withCors = await serve({ routes: {}, static: { dir: assets, prefix: "/static" }, cors: ["https://app.example"] });

const get = (server: { port: number }, pathname: string, headers: Record<string, string> = {}) => httpGet(server.port, pathname, headers);

/** What the client reads once it has undone the Content-Encoding it was told of. */
function decoded(answer: WireAnswer): Buffer {
    switch (answer.headers["content-encoding"]) {
        case "br":
            return brotliDecompressSync(answer.body);
        case "gzip":
            return gunzipSync(answer.body);
        case undefined:
            return answer.body;
        default:
            throw new Error(`no decoder here for ${String(answer.headers["content-encoding"])}`);
    }
}

for (const [name, server] of [["compressing", compressing], ["not compressing", notCompressing]] as const) {
    describe(`precompressed files, on a server ${name} answers itself`, () => {
        it("sends the sibling the Accept-Encoding prefers (br, zstd, gzip on a tie), the file itself otherwise", async () => {
            const cases: [string | undefined, string | undefined][] = [
                ["br", "br"],
                ["gzip", "gzip"],
                ["zstd", "zstd"],
                ["gzip, deflate, br, zstd", "br"],
                ["gzip, zstd", "zstd"],
                ["*", "br"],
                ["gzip;q=1, br;q=0.5", "gzip"],
                ["br;q=0, gzip", "gzip"],
                ["br;q=0, zstd;q=0, gzip;q=0", undefined],
                ["zstd;q=0.9, gzip;q=0.8", "zstd"],
                ["deflate", undefined],
                ["identity", undefined],
                ["", undefined],
                [undefined, undefined],
            ];
            for (const [acceptEncoding, coding] of cases) {
                const answer = await get(server, "/static/app.js", acceptEncoding === undefined ? {} : { "accept-encoding": acceptEncoding });
                assert.equal(answer.status, 200, String(acceptEncoding));
                assert.equal(answer.headers["content-encoding"], coding, String(acceptEncoding));
                const expected = { br: appJsBr, zstd: appJsZst, gzip: appJsGz }[coding ?? ""] ?? appJs;
                assert.deepEqual(answer.body, expected, String(acceptEncoding));
                if (coding !== "zstd") assert.deepEqual(decoded(answer), appJs, String(acceptEncoding));
            }
        });

        it("answers with the file's type, the sibling's length, its own ETag, and Vary on every answer", async () => {
            const tags = new Set<string>();
            for (const [coding, bytes] of [["br", appJsBr], ["zstd", appJsZst], ["gzip", appJsGz], ["identity", appJs]] as const) {
                const answer = await get(server, "/static/app.js", { "accept-encoding": coding });
                assert.equal(answer.headers["content-type"], "text/javascript; charset=utf-8", coding);
                assert.equal(answer.headers["content-length"], String(bytes.byteLength), coding);
                assert.equal(answer.headers["vary"], "Accept-Encoding", coding);
                assert.ok(answer.headers["last-modified"], coding);
                const etag = String(answer.headers["etag"]);
                assert.match(etag, coding === "identity" ? /^W\/"[0-9a-f]+-[0-9a-f]+"$/ : new RegExp(`^W/"[0-9a-f]+-[0-9a-f]+-${coding}"$`), coding);
                tags.add(etag);
            }
            assert.equal(tags.size, 4, "one ETag per coding");
        });

        it("sends the siblings there are: a gzip-only file answers brotli clients as it is", async () => {
            const gzip = await get(server, "/static/gzip-only.css", { "accept-encoding": "br, gzip" });
            assert.equal(gzip.headers["content-encoding"], "gzip");
            assert.equal(gzip.headers["content-type"], "text/css; charset=utf-8");
            assert.deepEqual(gzip.body, cssGz);
            const plain = await get(server, "/static/gzip-only.css", { "accept-encoding": "br" });
            assert.equal(plain.headers["content-encoding"], undefined);
            assert.equal(plain.headers["vary"], "Accept-Encoding");
            assert.deepEqual(plain.body, css);
        });

        it("answers 304 to the ETag of the variant the request would get, and only to it", async () => {
            const br = await get(server, "/static/app.js", { "accept-encoding": "br" });
            const brTag = String(br.headers["etag"]);
            const identityTag = String((await get(server, "/static/app.js")).headers["etag"]);
            const notModified = await get(server, "/static/app.js", { "accept-encoding": "br", "if-none-match": brTag });
            assert.equal(notModified.status, 304);
            assert.equal(notModified.headers["etag"], brTag);
            assert.equal(notModified.headers["vary"], "Accept-Encoding");
            assert.equal(notModified.body.byteLength, 0);
            // The brotli tag does not stand for the gzip copy, nor the file's tag for the brotli copy.
            const gzip = await get(server, "/static/app.js", { "accept-encoding": "gzip", "if-none-match": brTag });
            assert.equal(gzip.status, 200);
            assert.equal(gzip.headers["content-encoding"], "gzip");
            const brAgain = await get(server, "/static/app.js", { "accept-encoding": "br", "if-none-match": identityTag });
            assert.equal(brAgain.status, 200);
            assert.equal(brAgain.headers["content-encoding"], "br");
            // A client holding several copies lists their tags.
            const either = await get(server, "/static/app.js", { "accept-encoding": "gzip", "if-none-match": `${brTag}, ${String(gzip.headers["etag"])}` });
            assert.equal(either.status, 304);
            const byDate = await get(server, "/static/app.js", { "accept-encoding": "br", "if-modified-since": String(br.headers["last-modified"]) });
            assert.equal(byDate.status, 304);
        });

        it("answers a Range request with a slice of the file itself, never of a compressed copy", async () => {
            const partial = await get(server, "/static/app.js", { "accept-encoding": "br, gzip, zstd", range: "bytes=0-9" });
            assert.equal(partial.status, 206);
            assert.equal(partial.headers["content-encoding"], undefined);
            assert.equal(partial.headers["content-range"], `bytes 0-9/${appJs.byteLength}`);
            assert.equal(partial.headers["vary"], "Accept-Encoding");
            assert.deepEqual(partial.body, appJs.subarray(0, 10));
            const identityTag = String((await get(server, "/static/app.js")).headers["etag"]);
            const ifRange = await get(server, "/static/app.js", { "accept-encoding": "br", range: "bytes=10-19", "if-range": identityTag });
            assert.equal(ifRange.status, 206);
            assert.deepEqual(ifRange.body, appJs.subarray(10, 20));
            const outside = await get(server, "/static/app.js", { "accept-encoding": "br", range: `bytes=${appJs.byteLength + 10}-` });
            assert.equal(outside.status, 416);
            assert.equal(outside.headers["content-encoding"], undefined);
        });

        it("answers HEAD with the sibling's headers and no body", async () => {
            const answer = await httpGet(server.port, "/static/app.js", { "accept-encoding": "br" }, "HEAD");
            assert.equal(answer.status, 200);
            assert.equal(answer.headers["content-encoding"], "br");
            assert.equal(answer.headers["content-length"], String(appJsBr.byteLength));
            assert.equal(answer.headers["content-type"], "text/javascript; charset=utf-8");
            assert.equal(answer.body.byteLength, 0);
        });

        it("serves a compressed file asked for by its own name as it is", async () => {
            const answer = await get(server, "/static/app.js.br", { "accept-encoding": "br, gzip" });
            assert.equal(answer.status, 200);
            assert.equal(answer.headers["content-encoding"], undefined);
            assert.equal(answer.headers["content-length"], String(appJsBr.byteLength));
            assert.deepEqual(answer.body, appJsBr);
            const gz = await get(server, "/static/app.js.gz", { "accept-encoding": "gzip" });
            assert.equal(gz.headers["content-type"], "application/gzip");
            assert.equal(gz.headers["content-encoding"], undefined);
            assert.deepEqual(gz.body, appJsGz);
        });
    });
}

describe("precompressed files and other headers", () => {
    it("adds Accept-Encoding to CORS's Vary: Origin", async () => {
        const allowed = await get(withCors, "/static/app.js", { "accept-encoding": "br", origin: "https://app.example" });
        assert.equal(allowed.headers["vary"], "Origin, Accept-Encoding");
        assert.equal(allowed.headers["access-control-allow-origin"], "https://app.example");
        const other = await get(withCors, "/static/app.js", { origin: "https://other.example" });
        assert.equal(other.headers["vary"], "Origin, Accept-Encoding");
    });

    it("does not say Vary for a file without siblings when the server does not compress", async () => {
        const answer = await get(notCompressing, "/static/plain.txt", { "accept-encoding": "br, gzip" });
        assert.equal(answer.headers["vary"], undefined);
        assert.equal(answer.headers["content-encoding"], undefined);
        assert.equal(answer.headers["content-length"], "37");
    });
});

describe("a precompressed sibling on disk", () => {
    it("is not sent once deleted, though its lookup is remembered for a second", async () => {
        const root = await realpath(await mkdtemp(path.join(tmpdir(), "vshs-precompressed-")));
        const text = Buffer.from("console.log('changing');\n".repeat(20));
        await writeFile(path.join(root, "changing.js"), text);
        await writeFile(path.join(root, "changing.js.br"), brotliCompressSync(text));
        const server = await serve({ routes: {}, static: root, compress: false });
        try {
            assert.equal((await get(server, "/changing.js", { "accept-encoding": "br" })).headers["content-encoding"], "br");
            await rm(path.join(root, "changing.js.br"));
            const after = await get(server, "/changing.js", { "accept-encoding": "br" });
            assert.equal(after.status, 200);
            assert.equal(after.headers["content-encoding"], undefined);
            assert.deepEqual(after.body, text);
        } finally {
            await server.close();
            await rm(root, { recursive: true, force: true });
        }
    });

    it("is never a symbolic link leading out of the folder", async () => {
        const root = await realpath(await mkdtemp(path.join(tmpdir(), "vshs-precompressed-")));
        await mkdir(path.join(root, "public"));
        const text = Buffer.from("console.log('linked');\n".repeat(20));
        await writeFile(path.join(root, "public", "linked.js"), text);
        await writeFile(path.join(root, "secret.br"), "LINKED-SECRET\n");
        await symlink(path.join(root, "secret.br"), path.join(root, "public", "linked.js.br"));
        const server = await serve({ routes: {}, static: path.join(root, "public"), compress: false });
        try {
            const answer = await get(server, "/linked.js", { "accept-encoding": "br" });
            assert.equal(answer.status, 200);
            assert.equal(answer.headers["content-encoding"], undefined);
            assert.equal(answer.headers["vary"], undefined, "a link leading out is no sibling");
            assert.deepEqual(answer.body, text);
        } finally {
            await server.close();
            await rm(root, { recursive: true, force: true });
        }
    });
});
