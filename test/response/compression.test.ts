/**
 * Answers compressed on the fly: which coding a client gets, which answers are never compressed, the
 * headers of a compressed answer (Vary, ETag, Content-Length), and streams flushed chunk by chunk.
 * Requests go through node:http, which (unlike fetch) leaves the body encoded and shows the headers as sent.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { request, type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import path from "node:path";
import type { Transform } from "node:stream";
import { describe, it } from "node:test";
import zlib from "node:zlib";
import { SSEResponse } from "vshs";
import { compressedStream } from "../../src/response/compress-stream.ts";
import { Compression } from "../../src/response/compression.ts";
import { captureErrors, fixturesDir, serve, type TestServer } from "../helpers/server.ts";

/** zlib's zstd, where the runtime has it (Bun, Deno, Node ≥ 22.15; not Node 20): the server offers it there only. */
const zstdZlib = zlib as typeof zlib & { zstdDecompressSync?: (body: Uint8Array) => Buffer; createZstdDecompress?: () => Transform };
const hasZstd = typeof zstdZlib.zstdDecompressSync === "function";
const noZstd = !hasZstd && "this runtime's node:zlib has no zstd";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const bytes = (text: string) => new TextEncoder().encode(text);
const largeFile = path.join(fixturesDir, "compression/large.txt");
const largeText = readFileSync(largeFile, "utf8");
const prose = "A body of text long enough to be worth compressing, said again and again. ".repeat(40); // ~3 KiB
const items = { items: Array.from({ length: 60 }, (_, index) => ({ index, name: `item number ${index}`, tags: ["a", "b"] })) };
const textOf = (headers: Record<string, string>, body = prose) => () => new Response(body, { headers: { "content-type": "text/plain; charset=utf-8", ...headers } });

/** What the streams of the server tell the tests. */
const seen = { secondSent: false, cancelled: false };

/** A body in steps: each step is one pull of the stream, and enqueues a chunk or throws; it closes after the last. */
function stepped(steps: ((controller: ReadableStreamDefaultController<Uint8Array>) => Promise<void> | void)[], onCancel?: () => void): ReadableStream<Uint8Array> {
    let step = 0;
    return new ReadableStream<Uint8Array>(
        {
            async pull(controller) {
                const next = steps[step++];
                if (next === undefined) return controller.close();
                await next(controller);
            },
            cancel: onCancel,
        },
        { highWaterMark: 0 },
    );
}

const routes = {
    "/json/GET": () => items,
    "/small/GET": () => ({ ok: true }),
    "/medium/GET": () => "m".repeat(500),
    "/png/GET": () => new Response(new Uint8Array(4096).fill(7), { headers: { "content-type": "image/png" } }),
    "/untyped/GET": () => new Response(new Uint8Array(4096).fill(65)),
    "/gzipped/GET": () => new Response(zlib.gzipSync(prose), { headers: { "content-type": "text/plain", "content-encoding": "gzip" } }),
    "/no-transform/GET": textOf({ "cache-control": "public, no-transform" }),
    "/partial/GET": () => new Response(prose.slice(0, 2000), { status: 206, headers: { "content-type": "text/plain", "content-range": `bytes 0-1999/${prose.length}` } }),
    "/etag/GET": textOf({ etag: '"abc"' }),
    "/weak-etag/GET": textOf({ etag: 'W/"x"' }),
    "/vary-star/GET": textOf({ vary: "*" }),
    "/vary-cookie/GET": textOf({ vary: "Cookie" }),
    "/vary-already/GET": textOf({ vary: "accept-encoding" }),
    "/small-blob/GET": () => new Blob(["b".repeat(100)], { type: "text/plain" }),
    "/large-blob/GET": () => new Blob([prose], { type: "text/plain" }),
    "/events/GET": () => new SSEResponse((self) => void self.send("e".repeat(4000))),
    "/slow/GET": () => {
        seen.secondSent = false;
        const steps = [
            (controller: ReadableStreamDefaultController<Uint8Array>) => controller.enqueue(bytes("first chunk ".repeat(20))),
            async (controller: ReadableStreamDefaultController<Uint8Array>) => {
                await sleep(300);
                seen.secondSent = true;
                controller.enqueue(bytes("second chunk"));
            },
        ];
        return new Response(stepped(steps), { headers: { "content-type": "text/plain" } });
    },
    "/endless/GET": () => {
        seen.cancelled = false;
        const tick = async (controller: ReadableStreamDefaultController<Uint8Array>) => {
            await sleep(20);
            controller.enqueue(bytes("tick ".repeat(50)));
        };
        return new Response(stepped(Array.from({ length: 500 }, () => tick), () => (seen.cancelled = true)), { headers: { "content-type": "text/plain" } });
    },
    "/breaks/GET": () => {
        const fail = async () => {
            await sleep(50);
            throw new Error("the source broke");
        };
        return new Response(stepped([(controller) => controller.enqueue(bytes(prose)), fail]), { headers: { "content-type": "text/plain" } });
    },
};

const server = await serve({ routes, static: path.join(fixturesDir, "compression") });
const uncompressed = await serve({ routes, compress: false });
const gzipOnly = await serve({ routes, compress: { threshold: 100, encodings: ["gzip"] } });
const withCors = await serve({ routes, cors: ["http://a.example"] });

interface Exchange {
    status: number;
    headers: IncomingHttpHeaders;
    /** The body as sent (still encoded). */
    body: Buffer;
    /** Whether the body ended as its framing said (not cut off). */
    complete: boolean;
}

/** One request through node:http: the raw headers and the body as it came. */
function ask(target: TestServer, pathname: string, headers: Record<string, string> = {}, method = "GET"): Promise<Exchange> {
    return new Promise((resolve, reject) => {
        let answered: (() => void) | undefined;
        const sent = request({ host: "127.0.0.1", port: target.port, path: pathname, method, headers, agent: false }, (res) => {
            const chunks: Buffer[] = [];
            answered = () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks), complete: res.complete });
            res.on("data", (chunk: Buffer) => chunks.push(chunk));
            res.on("error", () => {}); // a body cut off: `complete` says so
            res.on("close", answered);
        });
        // Bun's client reports a body cut off as an error of the request (ECONNRESET), not only of the response.
        sent.on("error", (error) => (answered === undefined ? reject(error) : answered()));
        sent.end();
    });
}

/** A request whose answer the caller reads as it comes. */
function open(target: TestServer, pathname: string, headers: Record<string, string>): Promise<{ res: IncomingMessage; close: () => void }> {
    return new Promise((resolve, reject) => {
        const sent = request({ host: "127.0.0.1", port: target.port, path: pathname, headers, agent: false }, (res) => resolve({ res, close: () => sent.destroy() }));
        sent.on("error", reject);
        sent.end();
    });
}

function decode(encoding: string | undefined, body: Buffer): string {
    if (encoding === "br") return zlib.brotliDecompressSync(body).toString();
    if (encoding === "gzip") return zlib.gunzipSync(body).toString();
    if (encoding === "zstd") return zstdZlib.zstdDecompressSync!(body).toString();
    assert.equal(encoding, undefined, `an unexpected coding: ${encoding}`);
    return body.toString();
}

function decompressor(encoding: string): Transform {
    if (encoding === "br") return zlib.createBrotliDecompress();
    if (encoding === "gzip") return zlib.createGunzip();
    return zstdZlib.createZstdDecompress!();
}

const decoded = (exchange: Exchange) => decode(exchange.headers["content-encoding"], exchange.body);

async function until(condition: () => boolean, ms = 3000): Promise<void> {
    const start = Date.now();
    while (!condition()) {
        if (Date.now() - start > ms) throw new Error(`not within ${ms} ms`);
        await sleep(10);
    }
}

describe("which coding a client gets", () => {
    for (const [header, expected] of [
        ["br", "br"],
        ["gzip", "gzip"],
        ["gzip, deflate, br", "br"],
        ["br;q=0.5, gzip", "gzip"],
        ["br;q=0, gzip", "gzip"],
        ["*", "br"],
        ["br;q=0, *", hasZstd ? "zstd" : "gzip"],
        ["identity", undefined],
        ["*;q=0", undefined],
        ["br;q=2", undefined],
        ["deflate", undefined],
    ] as const) {
        it(`Accept-Encoding ${JSON.stringify(header)}: ${expected ?? "identity"}, Vary either way`, async () => {
            const answer = await ask(server, "/json", { "accept-encoding": header });
            assert.equal(answer.status, 200);
            assert.equal(answer.headers["content-encoding"], expected);
            assert.equal(answer.headers["vary"], "Accept-Encoding");
            assert.deepEqual(JSON.parse(decoded(answer)), items);
        });
    }

    it("a JSON answer compressed has its compressed length, and decodes to the object", async () => {
        const answer = await ask(server, "/json", { "accept-encoding": "gzip, deflate, br" });
        assert.equal(answer.headers["content-encoding"], "br");
        assert.equal(answer.headers["content-type"], "application/json");
        assert.equal(Number(answer.headers["content-length"]), answer.body.length);
        assert.ok(answer.body.length < JSON.stringify(items, null, 4).length / 3, `${answer.body.length} bytes`);
        assert.deepEqual(JSON.parse(decoded(answer)), items);
    });

    it("without Accept-Encoding: the body as it is, its own length, and Vary (the choice depended on the header)", async () => {
        const answer = await ask(server, "/json");
        assert.equal(answer.headers["content-encoding"], undefined);
        assert.equal(answer.headers["vary"], "Accept-Encoding");
        assert.equal(Number(answer.headers["content-length"]), answer.body.length);
        assert.deepEqual(JSON.parse(answer.body.toString()), items);
    });

    it("zstd where the runtime offers it; elsewhere identity", async () => {
        const answer = await ask(server, "/json", { "accept-encoding": "zstd" });
        assert.equal(answer.headers["content-encoding"], hasZstd ? "zstd" : undefined);
        assert.equal(answer.headers["vary"], "Accept-Encoding");
        assert.deepEqual(JSON.parse(decoded(answer)), items);
    });
});

describe("answers never compressed", () => {
    const refusals: [string, string, Record<string, string>?][] = [
        ["below the threshold (1 KiB)", "/small"],
        ["below the threshold, in UTF-8 bytes", "/medium"],
        ["of a type not worth compressing (image/png)", "/png"],
        ["without a Content-Type", "/untyped"],
        ["a Blob whose declared length is below the threshold", "/small-blob"],
    ];
    for (const [what, pathname] of refusals) {
        it(`${what}: as it is, without Vary`, async () => {
            const answer = await ask(server, pathname, { "accept-encoding": "br, gzip" });
            assert.equal(answer.status, 200);
            assert.equal(answer.headers["content-encoding"], undefined);
            assert.equal(answer.headers["vary"], undefined);
        });
    }

    it("already encoded by the handler: its own coding, once", async () => {
        const answer = await ask(server, "/gzipped", { "accept-encoding": "br" });
        assert.equal(answer.headers["content-encoding"], "gzip");
        assert.equal(decoded(answer), prose);
    });

    it("Cache-Control: no-transform", async () => {
        const answer = await ask(server, "/no-transform", { "accept-encoding": "br" });
        assert.equal(answer.headers["content-encoding"], undefined);
        assert.equal(answer.body.toString(), prose);
    });

    it("a 206 of the handler's own, with its Content-Range", async () => {
        const answer = await ask(server, "/partial", { "accept-encoding": "br" });
        assert.equal(answer.status, 206);
        assert.equal(answer.headers["content-encoding"], undefined);
        assert.equal(answer.headers["content-range"], `bytes 0-1999/${prose.length}`);
        assert.equal(answer.body.toString(), prose.slice(0, 2000));
    });

    it("a 206 of the static folder: the byte range of the file as it is", async () => {
        const answer = await ask(server, "/large.txt", { "accept-encoding": "br, gzip", range: "bytes=100-1299" });
        assert.equal(answer.status, 206);
        assert.equal(answer.headers["content-encoding"], undefined);
        assert.equal(answer.headers["content-range"], `bytes 100-1299/${largeText.length}`);
        assert.equal(answer.headers["content-length"], "1200");
        assert.equal(answer.body.toString(), largeText.slice(100, 1300));
    });

    it("an event stream, whatever the client accepts", async () => {
        const { res, close } = await open(server, "/events", { "accept-encoding": "gzip, deflate, br" });
        const first = await new Promise<Buffer>((resolve) => res.once("data", resolve));
        close();
        assert.equal(res.headers["content-type"], "text/event-stream");
        assert.equal(res.headers["content-encoding"], undefined);
        assert.match(first.toString(), /^(:ok\n\n|data: e)/);
    });

    it("with compress: false", async () => {
        const answer = await ask(uncompressed, "/json", { "accept-encoding": "br, gzip" });
        assert.equal(answer.headers["content-encoding"], undefined);
        assert.equal(answer.headers["vary"], undefined);
        assert.deepEqual(JSON.parse(answer.body.toString()), items);
    });
});

describe("the compress option", () => {
    it("threshold: a smaller body is compressed above it, a body below it is not", async () => {
        const medium = await ask(gzipOnly, "/medium", { "accept-encoding": "gzip" });
        assert.equal(medium.headers["content-encoding"], "gzip");
        assert.equal(decoded(medium), "m".repeat(500));
        const small = await ask(gzipOnly, "/small", { "accept-encoding": "gzip" });
        assert.equal(small.headers["content-encoding"], undefined);
    });

    it("encodings: only those offered, whatever the client prefers", async () => {
        const preferred = await ask(gzipOnly, "/json", { "accept-encoding": "br, gzip;q=0.1" });
        assert.equal(preferred.headers["content-encoding"], "gzip");
        const refused = await ask(gzipOnly, "/json", { "accept-encoding": "br" });
        assert.equal(refused.headers["content-encoding"], undefined);
        assert.equal(refused.headers["vary"], "Accept-Encoding");
    });
});

describe("the headers of a compressed answer", () => {
    // A stream's length is left to the runtime: Deno and Bun say "content-length: 0" to a HEAD whose GET
    // has no length (compressed or not), so for a stream only the rest is compared.
    it("HEAD: the same headers as GET (its compressed length included), and no body", async () => {
        for (const [pathname, framing] of [["/json", []], ["/large-blob", ["content-length"]]] as const) {
            const get = await ask(server, pathname, { "accept-encoding": "br" });
            const head = await ask(server, pathname, { "accept-encoding": "br" }, "HEAD");
            const comparable = (headers: IncomingHttpHeaders) => {
                const left = { ...headers };
                for (const name of ["date", "transfer-encoding", "connection", "keep-alive", ...framing]) delete left[name];
                return left;
            };
            assert.deepEqual(comparable(head.headers), comparable(get.headers), pathname);
            assert.equal(head.headers["content-encoding"], "br");
            assert.equal(head.body.length, 0);
        }
    });

    it("a Blob's declared length goes: the compressed one is known only at the end", async () => {
        const answer = await ask(server, "/large-blob", { "accept-encoding": "gzip" });
        assert.equal(answer.headers["content-encoding"], "gzip");
        assert.equal(answer.headers["content-length"], undefined);
        assert.equal(decoded(answer), prose);
    });

    it("the ETag gets the coding inside its quotes; not compressed, it stays", async () => {
        assert.equal((await ask(server, "/etag", { "accept-encoding": "br" })).headers["etag"], '"abc-br"');
        assert.equal((await ask(server, "/weak-etag", { "accept-encoding": "gzip" })).headers["etag"], 'W/"x-gzip"');
        assert.equal((await ask(server, "/etag")).headers["etag"], '"abc"');
    });

    it("Vary: Accept-Encoding joins the names already there once; * stays *", async () => {
        assert.equal((await ask(server, "/vary-cookie", { "accept-encoding": "br" })).headers["vary"], "Cookie, Accept-Encoding");
        assert.equal((await ask(server, "/vary-already", { "accept-encoding": "br" })).headers["vary"], "accept-encoding");
        assert.equal((await ask(server, "/vary-star", { "accept-encoding": "br" })).headers["vary"], "*");
    });

    it("Vary: Origin from CORS becomes Origin, Accept-Encoding, asked or not", async () => {
        const fromAllowed = await ask(withCors, "/json", { origin: "http://a.example", "accept-encoding": "br" });
        assert.equal(fromAllowed.headers["content-encoding"], "br");
        assert.equal(fromAllowed.headers["access-control-allow-origin"], "http://a.example");
        assert.equal(fromAllowed.headers["vary"], "Origin, Accept-Encoding");
        const notAsking = await ask(withCors, "/json", { origin: "http://a.example" });
        assert.equal(notAsking.headers["vary"], "Origin, Accept-Encoding");
        const noOrigin = await ask(withCors, "/json", { "accept-encoding": "gzip" });
        assert.equal(noOrigin.headers["vary"], "Origin, Accept-Encoding");
    });
});

describe("streamed answers", () => {
    for (const encoding of ["br", "gzip", "zstd"]) {
        it(`${encoding}: each chunk reaches the client when it is sent (flushed), not at the end`, { skip: encoding === "zstd" && noZstd }, async () => {
            const { res } = await open(server, "/slow", { "accept-encoding": encoding });
            assert.equal(res.headers["content-encoding"], encoding);
            assert.equal(res.headers["content-length"], undefined);
            const texts: { text: string; secondSent: boolean }[] = [];
            const decoder = decompressor(encoding);
            decoder.on("data", (chunk: Buffer) => texts.push({ text: chunk.toString(), secondSent: seen.secondSent }));
            await new Promise((resolve, reject) => res.pipe(decoder).on("end", resolve).on("error", reject));
            assert.equal(texts.map(({ text }) => text).join(""), "first chunk ".repeat(20) + "second chunk");
            assert.equal(texts[0]!.secondSent, false, "the first chunk came only once the second was sent");
            assert.equal(texts[0]!.text, "first chunk ".repeat(20));
        });
    }

    it("a client that leaves cancels the source", async () => {
        const { res, close } = await open(server, "/endless", { "accept-encoding": "gzip" });
        const decoder = decompressor("gzip");
        decoder.on("error", () => {});
        await new Promise((resolve) => res.pipe(decoder).once("data", resolve));
        close();
        await until(() => seen.cancelled);
    });

    it("a source that fails cuts the answer off, rather than ending it as if whole", async () => {
        const { result: answer } = await captureErrors(() => ask(server, "/breaks", { "accept-encoding": "br" }));
        assert.equal(answer.status, 200);
        assert.equal(answer.headers["content-encoding"], "br");
        assert.equal(answer.complete, false);
    });

    it("a static file, whatever the static folder decides, decodes to the file", async () => {
        const answer = await ask(server, "/large.txt", { "accept-encoding": "br, gzip" });
        assert.equal(answer.status, 200);
        assert.equal(decoded(answer), largeText);
    });
});

describe("Compression, without a server", () => {
    const compression = new Compression({ threshold: 1024, encodings: ["br", "zstd", "gzip"] });
    const header = (accepted: string | undefined) => (name: string) => (name === "accept-encoding" ? accepted : undefined);

    it("never changes the answer's own headers object, which may be shared and frozen", () => {
        const headers = Object.freeze({ "content-type": "text/plain", etag: '"t"', vary: "Origin" });
        const compressed = compression.apply({ kind: "bytes", status: 200, headers, body: prose, reused: true }, header("gzip"));
        assert.deepEqual(headers, { "content-type": "text/plain", etag: '"t"', vary: "Origin" });
        assert.equal(compressed.kind === "bytes" && compressed.reused, undefined);
        assert.equal(compressed.headers["etag"], '"t-gzip"');
        const varied = compression.apply({ kind: "bytes", status: 200, headers, body: prose, reused: true }, header(undefined));
        assert.equal(varied.headers["vary"], "Origin, Accept-Encoding");
        assert.equal(compression.apply({ kind: "bytes", status: 200, headers, body: prose, reused: true }, header(undefined)).headers, varied.headers, "one varied object per shared one");
    });

    it("choose(): the same rule for a file of the static folder", () => {
        assert.equal(compression.choose(header("gzip, br"), "text/css; charset=utf-8", 5000), "br");
        assert.equal(compression.choose(header("gzip"), "application/javascript", 1024), "gzip");
        assert.equal(compression.choose(header("gzip"), "text/css", 1023), null);
        assert.equal(compression.choose(header("gzip"), "image/jpeg", 5000), null);
        assert.equal(compression.choose(header(undefined), "text/css", 5000), null);
    });

    it("a file answer to encode: a stream of the byte range compressed, without the identity length", async () => {
        const headers = { "content-type": "text/plain", "content-length": "3000", "content-encoding": "gzip", vary: "Accept-Encoding" };
        const answer = compression.apply({ kind: "file", status: 200, headers, path: largeFile, start: 1000, length: 3000, encode: "gzip" }, header("gzip"));
        assert.equal(answer.kind, "stream");
        assert.equal(answer.headers["content-length"], undefined);
        assert.equal(answer.headers["content-encoding"], "gzip");
        const body = Buffer.from(await new Response((answer as { body: ReadableStream<Uint8Array> }).body).arrayBuffer());
        assert.equal(zlib.gunzipSync(body).toString(), largeText.slice(1000, 4000));
    });

    it("a file answer cancelled before it is read (HEAD) opens nothing", async () => {
        const answer = compression.apply({ kind: "file", status: 200, headers: {}, path: "/no/such/file", start: 0, length: 10, encode: "br" }, header("br"));
        await (answer as { body: ReadableStream<Uint8Array> }).body.cancel();
    });

    it("reads its source only as fast as it is read itself", async () => {
        let pulls = 0;
        const source = new ReadableStream<Uint8Array>({ pull: (controller) => void (pulls++, controller.enqueue(bytes(prose))) }, { highWaterMark: 0 });
        const reader = compressedStream(source, "gzip").getReader();
        await reader.read();
        await sleep(50);
        assert.ok(pulls <= 2, `${pulls} chunks pulled for one read`);
        const before = pulls;
        await reader.read();
        await sleep(50);
        assert.ok(pulls <= before + 1, `${pulls - before} more chunks pulled for one more read`);
        await reader.cancel();
    });

    // A pull that enqueues nothing is not called again by the stream: an empty chunk once stalled it.
    it("an empty chunk of the source does not stall it", async () => {
        const chunks = [new Uint8Array(0), bytes("after the empty chunk"), new Uint8Array(0)];
        const source = new ReadableStream<Uint8Array>({ pull: (controller) => (chunks.length > 0 ? controller.enqueue(chunks.shift()!) : controller.close()) }, { highWaterMark: 0 });
        const body = Buffer.from(await new Response(compressedStream(source, "br")).arrayBuffer());
        assert.equal(zlib.brotliDecompressSync(body).toString(), "after the empty chunk");
    });

    it("cancelling it cancels the source with the reason; a source error errors it", async () => {
        let reason: unknown;
        const endless = new ReadableStream<Uint8Array>({ pull: (controller) => controller.enqueue(bytes("x")), cancel: (why) => void (reason = why) });
        const reader = compressedStream(endless, "br").getReader();
        await reader.read();
        await reader.cancel("gone");
        assert.equal(reason, "gone");
        const failing = new ReadableStream<Uint8Array>({ pull: () => Promise.reject(new Error("broken")) });
        await assert.rejects(new Response(compressedStream(failing, "gzip")).arrayBuffer(), /broken/);
    });
});
