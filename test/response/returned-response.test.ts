/**
 * A web Response returned by a handler: its body is framed by the runtime whatever its headers declare,
 * its hop-by-hop headers stay behind, a fetch() response passes through decoded, and a body that
 * cannot be sent is a 500 rather than a connection closed without an answer.
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, describe, it } from "node:test";
import { brotliCompressSync, gzipSync } from "node:zlib";
import { captureErrors, serve } from "../helpers/server.ts";
import { onOneConnection } from "../robust/raw-http.ts";

const upstreamText = "hello from upstream, ".repeat(20);
const upstream = createServer((req, res) => {
    const coding = req.url!.slice(1);
    const body = coding === "gzip" ? gzipSync(upstreamText) : coding === "br" ? brotliCompressSync(upstreamText) : Buffer.from(upstreamText);
    const headers: Record<string, string | number> = { "content-type": "text/plain", "content-length": body.length, "keep-alive": "timeout=99", "x-upstream": "1" };
    if (coding !== "plain") headers["content-encoding"] = coding;
    res.writeHead(200, headers);
    res.end(body);
});
await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
after(() => upstream.close());
const upstreamURL = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;

const bytes = (text: string) => new TextEncoder().encode(text);
const streamOf = (...chunks: unknown[]) =>
    new ReadableStream({
        start(controller) {
            for (const chunk of chunks) controller.enqueue(chunk);
            controller.close();
        },
    });

const server = await serve({
    routes: {
        "/short/GET": () => new Response("abcdefgh", { headers: { "Content-Length": "2" } }),
        "/long/GET": () => new Response("ab", { headers: { "Content-Length": "20" } }),
        "/exact/GET": () => new Response(streamOf(bytes("abc"), bytes("de")), { headers: { "Content-Length": "5" } }),
        "/null-body/GET": () => new Response(null, { headers: { "Content-Length": "100" } }),
        "/hop/GET": () => new Response("ok", { headers: { Connection: "close, x-private", "Keep-Alive": "timeout=1", "X-Private": "s", "Transfer-Encoding": "chunked", Upgrade: "h2c", TE: "trailers", Trailer: "x", "Proxy-Connection": "close", "X-Kept": "1" } }),
        "/proxy/{coding}/GET": ({ route }) => fetch(`${upstreamURL}/${route.vars["coding"]}`),
        "/used/GET": async () => {
            const response = new Response("read already");
            await response.text();
            return response;
        },
        "/locked/GET": () => {
            const body = streamOf(bytes("x"));
            body.getReader();
            return new Response(body);
        },
        "/fails-at-once/GET": () =>
            new Response(
                new ReadableStream({
                    pull() {
                        throw new Error("the source broke");
                    },
                }),
            ),
        "/strings/GET": () => streamOf("not bytes"),
        "/json/GET": () => ({ next: "answer" }),
    },
});

const patient = await serve({ routes: { "/never-starts/GET": () => new Response(new ReadableStream({ pull: () => new Promise(() => {}) })) }, handlerTimeout: 300 });

const twice = (pathname: string) => [`GET ${pathname} HTTP/1.1\r\nHost: localhost\r\n\r\n`, "GET /json HTTP/1.1\r\nHost: localhost\r\n\r\n"];

describe("a returned Response's body is framed by the runtime", () => {
    for (const pathname of ["/short", "/long"]) {
        it(`a Content-Length its body does not match (${pathname}) never desynchronises the connection`, async () => {
            const { result } = await captureErrors(() => onOneConnection(server.port, twice(pathname)));
            const { replies, rest } = result;
            assert.equal(rest, "", "bytes that belong to no answer");
            for (const reply of replies) assert.match(reply.statusLine, /^HTTP\/1\.1 \d{3}/);
            const following = replies[1];
            if (following !== undefined) assert.deepEqual(JSON.parse(following.body.toString()), { next: "answer" });
            assert.ok(replies.length <= 2);
        });
    }

    it("a Content-Length its body matches is kept, and the connection goes on", async () => {
        const { replies, rest } = await onOneConnection(server.port, twice("/exact"));
        assert.equal(rest, "");
        assert.equal(replies.length, 2);
        assert.equal(replies[0]!.headers["content-length"], "5");
        assert.equal(replies[0]!.body.toString(), "abcde");
        assert.deepEqual(JSON.parse(replies[1]!.body.toString()), { next: "answer" });
    });

    it("a Response without a body declares none, whatever its Content-Length said", async () => {
        const { replies, rest } = await onOneConnection(server.port, twice("/null-body"));
        assert.equal(rest, "");
        assert.equal(replies.length, 2);
        assert.equal(replies[0]!.body.length, 0);
        assert.notEqual(replies[0]!.headers["content-length"], "100");
        assert.deepEqual(JSON.parse(replies[1]!.body.toString()), { next: "answer" });
    });

    it("its hop-by-hop headers, and those its Connection header names, are not sent", async () => {
        const { replies } = await onOneConnection(server.port, twice("/hop"));
        const { headers, body } = replies[0]!;
        for (const name of ["x-private", "upgrade", "te", "trailer", "proxy-connection"]) assert.equal(headers[name], undefined, name);
        assert.ok(!(headers["keep-alive"] ?? "").includes("timeout=1"), "the handler's Keep-Alive"); // Node sends its own
        assert.notEqual(headers["connection"], "close, x-private");
        assert.equal(headers["x-kept"], "1");
        assert.equal(body.toString(), "ok");
        assert.equal(replies.length, 2, "the connection is kept: its Connection: close was the upstream's");
    });
});

describe("a fetch() response passed through", () => {
    for (const coding of ["gzip", "br", "plain"]) {
        it(`arrives decoded, without the upstream's coding, stale length or hop-by-hop headers (${coding})`, async () => {
            const { replies, rest } = await onOneConnection(server.port, twice(`/proxy/${coding}`));
            assert.equal(rest, "");
            const [proxied, following] = replies;
            assert.equal(proxied!.body.toString(), upstreamText);
            assert.equal(proxied!.headers["content-encoding"], undefined);
            assert.ok(!(proxied!.headers["keep-alive"] ?? "").includes("99"), "the upstream's Keep-Alive");
            assert.equal(proxied!.headers["x-upstream"], "1");
            if (proxied!.headers["content-length"] !== undefined) assert.equal(proxied!.headers["content-length"], String(upstreamText.length));
            assert.deepEqual(JSON.parse(following!.body.toString()), { next: "answer" });
        });
    }

    it("reads as the upstream's text with fetch()", async () => {
        const response = await server.fetch("/proxy/gzip");
        assert.equal(response.status, 200);
        assert.equal(await response.text(), upstreamText);
    });
});

describe("a body that cannot be sent → 500 with a message, not a dropped connection", () => {
    const cases: [string, RegExp][] = [
        ["/used", /body was already read/],
        ["/locked", /locked/],
        ["/fails-at-once", /the source broke/],
        ["/strings", /must yield Uint8Array chunks, not a string/],
    ];
    for (const [pathname, message] of cases) {
        it(pathname, async () => {
            const { result } = await captureErrors(async () => {
                const response = await server.fetch(pathname);
                return { status: response.status, text: await response.text() };
            });
            assert.equal(result.status, 500);
            assert.match(result.text, message);
        });
    }
});

describe("a body that does not start", () => {
    it("→ 503 after handlerTimeout, as a handler that does not answer", async () => {
        const { result } = await captureErrors(async () => {
            const response = await patient.fetch("/never-starts");
            return { status: response.status, text: await response.text() };
        });
        assert.deepEqual(result, { status: 503, text: "The response body did not start within 300 ms (option handlerTimeout)" });
    });
});
