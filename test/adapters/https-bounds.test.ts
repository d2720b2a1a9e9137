/**
 * The limits and timeouts over HTTPS: the HTTP/1.1 connections of an HTTPS server keep plain HTTP's
 * (431, 408, keep-alive), and HTTP/2 connections have their own counterparts (a reset stream for a
 * header list too large, GOAWAY for a connection left idle).
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { connect as connectTcp } from "node:net";
import { describe, it } from "node:test";
import { connect as connectTls } from "node:tls";
import { runtime } from "../helpers/runtime.ts";
import { serve } from "../helpers/server.ts";
import { localhostCertificate } from "../helpers/tls.ts";
import { connected, connectH2, h2Request } from "./h2-client.ts";
import { runScript, statusOf, type Script, type ScriptResult } from "../helpers/scripted-socket.ts";

const tls = await localhostCertificate();
const tight = { maxHeaderSize: 4096, headersTimeout: 300, keepAliveTimeout: 300, requestTimeout: 1500 };
const server = await serve({
    tls,
    ...tight,
    routes: {
        "/hello/GET": () => "hello",
        "/slow/GET": () => new Promise((resolve) => setTimeout(resolve, 700, "late")),
    },
});

/**
 * What an HTTP/1.1 connection over TLS received until the server closed it (or `waitMs` passed), and
 * when it closed (from the end of the TLS handshake).
 */
function http1Exchange(writes: Script, waitMs = 4000): Promise<ScriptResult> {
    const socket = connectTls({ host: "127.0.0.1", port: server.port, ca: tls.ca, servername: "localhost", ALPNProtocols: ["http/1.1"] });
    return runScript(socket, "secureConnect", writes, waitMs, () => (socket.alpnProtocol === "http/1.1" ? undefined : new Error(`ALPN chose ${socket.alpnProtocol}`)));
}

describe("HTTPS's HTTP/1.1 connections keep plain HTTP's bounds", () => {
    it("headers larger than maxHeaderSize → 431", { skip: runtime === "deno" && "Deno.serve has no header-size setting" }, async () => {
        const size = runtime === "bun" ? 17_000 : 5000; // Bun's bound is its own 16 KiB, whatever the option says
        const { text } = await http1Exchange([`GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(size)}\r\nConnection: close\r\n\r\n`]);
        assert.equal(statusOf(text), 431);
        assert.equal(statusOf((await http1Exchange([`GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(3000)}\r\nConnection: close\r\n\r\n`])).text), 200);
    });

    it("headers that never finish arriving (slowloris) → 408 and closed after headersTimeout", { skip: runtime !== "node" && "Deno.serve and Bun.serve have no header timeout" }, async () => {
        const { text, closedAfterMs } = await http1Exchange(["GET /hello HTTP/1.1\r\nHost: x\r\n", 100, "X-A: 1\r\n"]);
        assert.equal(statusOf(text), 408);
        assert.ok(closedAfterMs !== null && closedAfterMs < 2000, `closed after ${closedAfterMs} ms`);
    });

    it("an idle keep-alive connection is closed after keepAliveTimeout", { skip: runtime !== "node" && "Deno.serve keeps idle connections; Bun closes them after its idle timeout (the longest of vshs's timeouts)" }, async () => {
        const { text, closedAfterMs } = await http1Exchange(["GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"]);
        assert.equal(statusOf(text), 200);
        assert.ok(closedAfterMs !== null && closedAfterMs >= 250 && closedAfterMs < 2000, `closed after ${closedAfterMs} ms`);
    });

    it("a request without a Host → 400, as node:http answers it", { skip: runtime !== "node" && "node:http's check" }, async () => {
        assert.equal(statusOf((await http1Exchange(["GET /hello HTTP/1.1\r\nConnection: close\r\n\r\n"])).text), 400);
    });

    it("a connection that never starts its TLS handshake is dropped after headersTimeout", { skip: runtime !== "node" && "Deno.serve and Bun.serve have no handshake timeout of their own" }, async () => {
        const socket = connectTcp(server.port, "127.0.0.1");
        socket.on("error", () => {});
        await once(socket, "connect");
        const started = performance.now();
        await once(socket, "close");
        const closedAfterMs = performance.now() - started;
        assert.ok(closedAfterMs >= 250 && closedAfterMs < 2000, `closed after ${closedAfterMs} ms`);
    });
});

describe("HTTP/2's own bounds", () => {
    it("a header list larger than maxHeaderSize resets its stream (ENHANCE_YOUR_CALM); the connection serves on", { skip: runtime !== "node" && "Deno.serve has no header-size setting, and Bun answers a header list over its own 16 KiB by closing the connection" }, async () => {
        const session = connectH2(server.url, tls.ca);
        // The bound holds once the client has acknowledged the server's SETTINGS (until then HTTP/2's default of 64 KiB does).
        assert.equal((await h2Request(session, { ":path": "/hello" })).status, 200);
        assert.equal(session.remoteSettings.maxHeaderListSize, 4096);
        const stream = session.request({ ":path": "/hello", "x-big": "a".repeat(5000) }, { endStream: true });
        stream.on("error", () => {}); // the reset, checked below
        stream.resume();
        await new Promise((resolve) => stream.on("close", resolve));
        assert.equal(stream.rstCode, 11); // NGHTTP2_ENHANCE_YOUR_CALM
        assert.equal((await h2Request(session, { ":path": "/hello", "x-fine": "a".repeat(3000) })).status, 200);
    });

    it("a connection with no stream open for keepAliveTimeout is sent GOAWAY and closes", { skip: runtime !== "node" && "Deno.serve and Bun.serve keep HTTP/2 connections by their own rules" }, async () => {
        const session = connectH2(server.url, tls.ca);
        await connected(session);
        const started = performance.now();
        assert.equal((await h2Request(session, { ":path": "/hello" })).status, 200);
        const [code] = (await once(session, "goaway")) as [number];
        assert.equal(code, 0); // NO_ERROR
        await once(session, "close");
        const closedAfterMs = performance.now() - started;
        assert.ok(closedAfterMs >= 250 && closedAfterMs < 2000, `closed after ${closedAfterMs} ms`);
    });

    it("a connection used again within keepAliveTimeout, or busy with a stream for longer, stays open", { skip: runtime !== "node" && "Deno.serve and Bun.serve keep HTTP/2 connections by their own rules" }, async () => {
        const session = connectH2(server.url, tls.ca);
        let away = false;
        session.on("goaway", () => (away = true));
        for (let request = 0; request < 6; request++) {
            assert.equal((await h2Request(session, { ":path": "/hello" })).status, 200);
            await new Promise((resolve) => setTimeout(resolve, 150)); // each pause shorter than keepAliveTimeout, all of them longer
        }
        assert.equal((await h2Request(session, { ":path": "/slow" })).body, "late");
        assert.equal(away, false);
    });
});
