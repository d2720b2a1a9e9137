import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { connect } from "node:net";
import path from "node:path";
import { describe, it } from "node:test";
import { limitDefaults } from "../src/limits.ts";
import { runtime } from "./helpers/runtime.ts";
import { runScript, statusOf, type Script, type ScriptResult } from "./helpers/scripted-socket.ts";
import { repoRoot, serve } from "./helpers/server.ts";
import { flood } from "./robust/raw-http.ts";

const tight = {
    maxHeaderSize: 4096,
    maxUrlLength: 1000,
    headersTimeout: 300,
    bodyTimeout: 300,
    requestTimeout: 1500,
    keepAliveTimeout: 300,
    handlerTimeout: 300,
};
const server = await serve({
    routes: {
        "/hello/GET": () => "hello",
        "/echo/POST": ({ body }) => body,
        "/slow/GET": () => new Promise((resolve) => setTimeout(() => resolve("late"), 5000).unref()),
    },
    ...tight,
});
// A small body limit, for the bodies no route reads.
const small = await serve({ routes: { "/echo/POST": ({ body }) => body, "/page/GET": () => "page" }, maxBodySize: 64 * 1024, logger: () => {} });

/** What a socket received until the server closed it (or `waitMs` passed), and when it closed. */
function exchange(writes: Script, waitMs = 4000, port = server.port): Promise<ScriptResult> {
    return runScript(connect(port, "127.0.0.1"), "connect", writes, waitMs);
}

describe("limits and timeouts", () => {
    it("the docs' table (docs/limits-and-security.md) lists every limit with its default from the code", async () => {
        const readme = await readFile(path.join(repoRoot, "docs/limits-and-security.md"), "utf8");
        const start = readme.indexOf("## Limits and timeouts");
        const section = readme.slice(start, readme.indexOf("\n## ", start));
        const rows = new Map<string, string>();
        for (const [, name, value] of section.matchAll(/^\| `(\w+)` \| `([^`]+)` \|/gm)) rows.set(name!, value!);
        assert.deepEqual([...rows.keys()].sort(), Object.keys(limitDefaults).sort());
        for (const [name, value] of Object.entries(limitDefaults)) assert.equal(Number(rows.get(name)!.replaceAll("_", "")), value, name);
    });

    it("a URL longer than maxUrlLength → 414", async () => {
        const response = await server.fetch(`/hello?q=${"x".repeat(1000)}`);
        assert.equal(response.status, 414);
        assert.match(await response.text(), /maxUrlLength/);
        assert.equal((await server.fetch(`/hello?q=${"x".repeat(900)}`)).status, 200);
    });

    it("headers larger than maxHeaderSize → 431 (Deno's own bound is about 64 KiB)", { skip: runtime === "deno" && "Deno.serve has no header-size setting" }, async () => {
        // Bun's bound is its own 16 KiB, whatever the option says.
        const size = runtime === "bun" ? 17_000 : 5000;
        const response = await server.fetch("/hello", { headers: { "x-big": "a".repeat(size) } });
        assert.equal(response.status, 431);
        assert.equal((await server.fetch("/hello", { headers: { "x-big": "a".repeat(3000) } })).status, 200);
    });

    it("headers that never finish arriving (slowloris) → 408 and closed after headersTimeout", { skip: runtime !== "node" && "Deno.serve and Bun.serve have no header timeout" }, async () => {
        const { text, closedAfterMs } = await exchange(["GET /hello HTTP/1.1\r\nHost: x\r\n", 100, "X-A: 1\r\n"]);
        assert.equal(statusOf(text), 408);
        assert.ok(closedAfterMs !== null && closedAfterMs < 2000, `closed after ${closedAfterMs} ms`);
    });

    it("a body that stops arriving → 408 and closed after bodyTimeout, chunked or with a Content-Length", async () => {
        const requests = [
            "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
            "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\nhello",
            "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nhello",
        ];
        for (const request of requests) {
            if (runtime !== "node" && request.includes("text/plain\r\nContent-Length")) continue; // below
            const { text, closedAfterMs } = await exchange([request]);
            assert.equal(statusOf(text), 408, request);
            assert.match(text, /bodyTimeout/);
            // Deno.serve sends the answer's Connection: close but keeps the connection while the body is unfinished.
            if (runtime !== "deno") assert.ok(closedAfterMs !== null && closedAfterMs < 3000, `closed after ${closedAfterMs} ms: ${text}`);
        }
    });

    it("on Bun, a text body with a Content-Length (which Bun reads whole) that stops arriving is cut by Bun's idle timeout", { skip: runtime !== "bun" && "Bun only (Deno has no such bound; Node answers 408, above)" }, async () => {
        const { closedAfterMs } = await exchange(["POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\nhello"], 6000);
        assert.ok(closedAfterMs !== null && closedAfterMs < 5000, `closed after ${closedAfterMs} ms`);
    });

    it("a body that keeps flowing, however slowly, is read (until requestTimeout)", async () => {
        const chunks = ["5\r\nhello\r\n", 200, "1\r\n!\r\n", 200, "1\r\n!\r\n", 200, "0\r\n\r\n"];
        const { text } = await exchange(["POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n", ...chunks]);
        assert.equal(statusOf(text), 200);
        assert.match(text, /hello!!$/);
    });

    it("a request trickling in for longer than requestTimeout → 408", { skip: runtime !== "node" && "Deno.serve and Bun.serve have no request timeout" }, async () => {
        const trickle = Array.from({ length: 12 }, () => [200, "1\r\n.\r\n"]).flat();
        const { text, closedAfterMs } = await exchange(["POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n", ...trickle]);
        assert.equal(statusOf(text), 408);
        assert.ok(closedAfterMs !== null && closedAfterMs < 3500, `closed after ${closedAfterMs} ms`);
    });

    it("an idle keep-alive connection is closed after keepAliveTimeout", { skip: runtime !== "node" && "Deno.serve keeps idle connections; Bun closes them after its idle timeout (the longest of vshs's timeouts)" }, async () => {
        const { text, closedAfterMs } = await exchange(["GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"]);
        assert.equal(statusOf(text), 200);
        assert.ok(closedAfterMs !== null && closedAfterMs >= 250 && closedAfterMs < 2000, `closed after ${closedAfterMs} ms`);
    });

    it("a handler slower than handlerTimeout → 503 naming the option; other requests go on", async () => {
        const started = performance.now();
        const [slow, hello] = await Promise.all([server.fetch("/slow"), server.fetch("/hello")]);
        assert.equal(slow.status, 503);
        assert.match(await slow.text(), /handlerTimeout/);
        assert.ok(performance.now() - started < 2500);
        assert.equal(await hello.text(), "hello");
    });

    it("refuses limits that are not whole numbers", async () => {
        await assert.rejects(serve({ routes: {}, bodyTimeout: -1 }), /The bodyTimeout option must be a whole number from 0/);
        await assert.rejects(serve({ routes: {}, maxFields: 1.5 }), /The maxFields option must be a whole number/);
    });
});

describe("maxBodySize holds for every request, routed or not", () => {
    for (const [what, target] of [["a path no route answers (404)", "/nowhere"], ["a method the path does not answer (405)", "/page"]]) {
        it(`a body flooding ${what} is not taken past the limit: the connection closes`, { skip: runtime === "deno" && "Deno.serve reads a body left unread to its end itself, and has no way to close a connection" }, async () => {
            const { written, text, closed } = await flood(small.port, `POST ${target} HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n`, 256 * 1024 * 1024);
            assert.equal(closed, true, "the server closed the connection");
            assert.ok([404, 405].includes(statusOf(text)), text.slice(0, 100));
            // What the kernel's socket buffers take, plus the limit: far below the 256 MiB the client would send.
            assert.ok(written < 32 * 1024 * 1024, `${written} bytes taken`);
        });
    }

    it("a declared Content-Length over the limit → 413 at once, to a path no route answers too", async () => {
        const { text, closedAfterMs } = await exchange([`POST /nowhere HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${100 * 1024 * 1024}\r\n\r\n`], 3000, small.port);
        assert.equal(statusOf(text), 413);
        if (runtime !== "deno") assert.notEqual(closedAfterMs, null, "the connection closes"); // Deno.serve waits for the body
    });

    it("Expect: 100-continue: no 100 Continue for a body that will be refused, routed or not", { skip: runtime !== "node" && "Deno.serve and Bun.serve send 100 Continue themselves, before the handler runs" }, async () => {
        for (const target of ["/echo", "/nowhere"]) {
            const { text } = await exchange([`POST ${target} HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nContent-Length: ${99 * 1024 * 1024}\r\nExpect: 100-continue\r\n\r\n`], 1500, small.port);
            assert.doesNotMatch(text, /100 Continue/, target);
            assert.equal(statusOf(text), 413, target);
        }
    });

    it("Expect: 100-continue: a body within the limit is asked for and read", async () => {
        const { text } = await exchange([`POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`, 300, "hello"], 3000, small.port);
        assert.match(text, /200 OK[^]*\r\n\r\nhello$/);
    });
});
