/**
 * HTTPS on each runtime's server: HTTP/2 for clients that offer it in ALPN, HTTP/1.1 for the others on
 * the same port, and everything a plain-HTTP server does working the same over both: routes, bodies and
 * their limits, static files, cookies, the client's address, WebSockets (over HTTP/1.1 connections).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { once } from "node:events";
import https from "node:https";
import http2 from "node:http2";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, it } from "node:test";
import { connect as connectTls, type ConnectionOptions, type TLSSocket } from "node:tls";
import { generate } from "selfsigned";
import { startHTTPServer, WebSocketResponse, type AccessLogEntry, type HandlerParams } from "vshs";
import WebSocket from "ws";
import { runtime } from "../helpers/runtime.ts";
import { fixturesDir, serve } from "../helpers/server.ts";
import { localhostCertificate } from "../helpers/tls.ts";
import { connected, connectH2, h2Request, until } from "./h2-client.ts";

const tls = await localhostCertificate();
const logged: AccessLogEntry[] = [];
const aborted = { slow: 0, quick: 0 };

const server = await serve({
    tls,
    static: path.join(fixturesDir, "static"),
    logger: (entry) => logged.push(entry),
    routes: {
        "/text/GET": () => "hello over TLS",
        "/json/GET": ({ request, url }: HandlerParams) => ({ ip: request.ip, host: request.headers.get("host"), urlHost: url.host, method: request.method }),
        "/echo/POST": ({ body }: HandlerParams) => ({ got: body }),
        "/cookie/GET": ({ cookies }: HandlerParams) => {
            cookies.set("seen", "yes");
            return "with a cookie";
        },
        "/slow/GET": ({ request }: HandlerParams) =>
            new Promise((resolve) => {
                request.signal.addEventListener("abort", () => resolve(aborted.slow++));
                setTimeout(resolve, 5000, "too late");
            }),
        "/quick/GET": ({ request }: HandlerParams) => {
            request.signal.addEventListener("abort", () => aborted.quick++);
            return "quick";
        },
        "/socket/GET": () => new WebSocketResponse((self) => (self.onMessage = (message) => self.send(`echo ${message}`))),
        "/big/GET": () => ({ items: Array.from({ length: 200 }, (_, index) => ({ index, name: `item ${index}` })) }),
        "/stream/GET": () =>
            new ReadableStream({
                async start(controller) {
                    for (const part of ["one ", "two ", "three"]) {
                        controller.enqueue(new TextEncoder().encode(part));
                        await new Promise((resolve) => setTimeout(resolve, 10));
                    }
                    controller.close();
                },
            }),
        "/members/_middleware": ({ request, locals }: HandlerParams) => {
            if (request.headers.get("authorization") !== "Bearer yes") return new Response("who are you?", { status: 401 });
            (locals as { user?: string }).user = "ada";
            return undefined;
        },
        "/members/GET": ({ locals }: HandlerParams) => ({ user: (locals as { user?: string }).user }),
    },
});

describe("HTTPS: HTTP/2 through ALPN", () => {
    const session = connectH2(server.url, tls.ca);

    it("is what a client offering h2 gets, with the URL's scheme https", async () => {
        await connected(session);
        assert.equal(session.alpnProtocol, "h2");
        assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    });

    it("answers text and JSON; request.ip is the client's, and a handler finds the authority as the URL's host and the Host", async () => {
        const text = await h2Request(session, { ":path": "/text" });
        assert.equal(text.status, 200);
        assert.equal(text.headers["content-type"], "text/plain; charset=utf-8");
        assert.equal(text.body, "hello over TLS");
        const json = await h2Request(session, { ":path": "/json" });
        assert.equal(json.status, 200);
        const { ip, host, urlHost, method } = JSON.parse(json.body) as { ip: string; host: string | null; urlHost: string; method: string };
        assert.equal(ip, "127.0.0.1");
        assert.equal(method, "GET");
        assert.equal(urlHost, `127.0.0.1:${server.port}`);
        if (runtime !== "deno") assert.equal(host, `127.0.0.1:${server.port}`); // Deno's request.headers has no Host over HTTP/2 (docs/https.md)
    });

    it("reads a JSON body, with a Content-Length or without one (HTTP/2 needs none)", async () => {
        const body = JSON.stringify({ a: 1, b: ["x"] });
        for (const headers of [{ "content-length": String(Buffer.byteLength(body)) }, {}]) {
            const reply = await h2Request(session, { ":path": "/echo", ":method": "POST", "content-type": "application/json", ...headers }, body);
            assert.equal(reply.status, 200, reply.body);
            assert.deepEqual(JSON.parse(reply.body), { got: { a: 1, b: ["x"] } });
        }
    });

    it("refuses a body over maxBodySize with 413, declared or streamed, and the connection serves on", async () => {
        const big = new Uint8Array(2 * 1024 * 1024).fill(120);
        for (const headers of [{ "content-length": String(big.byteLength) }, {}]) {
            const reply = await h2Request(session, { ":path": "/echo", ":method": "POST", "content-type": "text/plain", ...headers }, big);
            assert.equal(reply.status, 413);
            assert.match(reply.body, /maxBodySize/);
        }
        assert.equal((await h2Request(session, { ":path": "/text" })).status, 200);
        assert.equal(session.destroyed, false);
    });

    it("compresses what the client accepts, and streams a body as it comes", async () => {
        const plain = await h2Request(session, { ":path": "/big" });
        const gzipped = session.request({ ":path": "/big", "accept-encoding": "gzip" }, { endStream: true });
        const chunks: Buffer[] = [];
        gzipped.on("data", (chunk: Buffer) => chunks.push(chunk));
        const [headers] = (await once(gzipped, "response")) as [http2.IncomingHttpHeaders];
        await once(gzipped, "end");
        assert.equal(headers["content-encoding"], "gzip");
        assert.equal(gunzipSync(Buffer.concat(chunks)).toString(), plain.body);
        assert.equal((await h2Request(session, { ":path": "/stream" })).body, "one two three");
    });

    it("runs middleware, and answers a CORS preflight", async () => {
        assert.equal((await h2Request(session, { ":path": "/members" })).status, 401);
        assert.deepEqual(JSON.parse((await h2Request(session, { ":path": "/members", authorization: "Bearer yes" })).body), { user: "ada" });
        const preflight = await h2Request(session, { ":path": "/echo", ":method": "OPTIONS", origin: "https://example.com", "access-control-request-method": "POST", "access-control-request-headers": "content-type" });
        assert.equal(preflight.status, 204);
        assert.equal(preflight.headers["access-control-allow-origin"], "*");
        assert.equal(preflight.headers["access-control-allow-headers"], "content-type");
    });

    it("marks the request secure: a cookie set without `secure` gets Secure", async () => {
        const reply = await h2Request(session, { ":path": "/cookie" });
        assert.match(String(reply.headers["set-cookie"]), /^seen=yes; .*Secure/);
    });

    it("serves static files, HEAD with the GET's length and no body, and 404 past them", async () => {
        const file = await h2Request(session, { ":path": "/data.json" });
        assert.equal(file.status, 200);
        assert.equal(file.headers["content-type"], "application/json; charset=utf-8");
        assert.equal(Number(file.headers["content-length"]), Buffer.byteLength(file.body));
        const head = await h2Request(session, { ":path": "/data.json", ":method": "HEAD" });
        assert.equal(head.status, 200);
        assert.equal(head.headers["content-length"], file.headers["content-length"]);
        assert.equal(head.body, "");
        assert.equal((await h2Request(session, { ":path": "/missing.txt" })).status, 404);
    });

    it("answers many streams at once on one connection", async () => {
        const replies = await Promise.all(Array.from({ length: 200 }, (_, index) => h2Request(session, { ":path": index % 2 === 0 ? "/text" : "/style.css" })));
        assert.deepEqual(new Set(replies.map((reply) => reply.status)), new Set([200]));
        if (runtime === "node") assert.equal(session.remoteSettings.maxConcurrentStreams, 128); // Deno and Bun choose their own
    });

    it("answers a WebSocket route's plain GET with 426, as over HTTP/1.1 (WebSockets open on HTTP/1.1 connections)", async () => {
        const reply = await h2Request(session, { ":path": "/socket" });
        assert.equal(reply.status, 426);
        assert.equal(reply.headers.connection, undefined);
        assert.equal((await h2Request(session, { ":path": "/text" })).status, 200);
    });

    it("aborts request.signal when the client resets the stream, and not once the answer went out", async () => {
        assert.equal((await h2Request(session, { ":path": "/quick" })).body, "quick");
        const stream = session.request({ ":path": "/slow" }, { endStream: true });
        stream.on("error", () => {});
        await new Promise((resolve) => setTimeout(resolve, 100));
        stream.close(http2.constants.NGHTTP2_CANCEL);
        await until(() => aborted.slow === 1, 3000, "request.signal to abort");
        assert.equal(aborted.quick, 0, "the signal of a request answered in full");
    });

    it("logs each request once its stream closes", async () => {
        await h2Request(session, { ":path": "/text?logged=1" });
        await until(() => logged.some((entry) => entry.path === "/text" && entry.status === 200));
    });

    it("Expect: 100-continue: the 100 comes when the body is read, and none for a body refused", { skip: runtime !== "node" && "Deno.serve and Bun.serve answer 100-continue themselves" }, async () => {
        const accepted = session.request({ ":path": "/echo", ":method": "POST", "content-type": "text/plain", expect: "100-continue" });
        await once(accepted, "continue");
        accepted.end("after the 100");
        const chunks: Buffer[] = [];
        accepted.on("data", (chunk: Buffer) => chunks.push(chunk));
        await once(accepted, "end");
        assert.deepEqual(JSON.parse(Buffer.concat(chunks).toString()), { got: "after the 100" });
        const refused = session.request({ ":path": "/echo", ":method": "POST", "content-type": "text/plain", "content-length": String(2 * 1024 * 1024), expect: "100-continue" });
        let continued = false;
        refused.on("continue", () => (continued = true));
        const [headers] = (await once(refused, "response")) as [http2.IncomingHttpHeaders];
        assert.equal(headers[":status"], 413);
        assert.equal(continued, false);
        refused.close();
    });
});

describe("HTTPS: HTTP/1.1 on the same port", () => {
    /** One HTTPS request offering only HTTP/1.1 in ALPN. */
    function http1(pathname: string): Promise<{ status: number; version: string; alpn: string | false | null; headers: Record<string, unknown>; body: string }> {
        return new Promise((resolve, reject) => {
            const options: https.RequestOptions & ConnectionOptions = { ca: tls.ca, ALPNProtocols: ["http/1.1"], agent: false };
            const request = https.get(`${server.url}${pathname}`, options, (response) => {
                let body = "";
                response.setEncoding("utf8");
                response.on("data", (chunk: string) => (body += chunk));
                response.on("end", () => resolve({ status: response.statusCode!, version: response.httpVersion, alpn: (response.socket as TLSSocket).alpnProtocol, headers: response.headers, body }));
            });
            request.on("error", reject);
        });
    }

    it("is what a client that does not offer h2 gets: routes, cookies with Secure, static files", async () => {
        const text = await http1("/text");
        assert.equal(text.status, 200);
        assert.equal(text.version, "1.1");
        assert.equal(text.alpn, "http/1.1");
        assert.equal(text.body, "hello over TLS");
        assert.match(String(await http1("/cookie").then((reply) => reply.headers["set-cookie"])), /Secure/);
        assert.equal((await http1("/style.css")).status, 200);
    });

    it("answers a request that asks to upgrade but carries a body as any other, body included", { skip: runtime === "deno" && "Deno answers it 400 itself" }, async () => {
        const socket = connectTls({ host: "127.0.0.1", port: server.port, ca: tls.ca, servername: "localhost", ALPNProtocols: ["http/1.1"] });
        let text = "";
        socket.setEncoding("latin1");
        socket.on("data", (chunk: string) => (text += chunk));
        await once(socket, "secureConnect");
        socket.write(`POST /echo HTTP/1.1\r\nHost: localhost\r\nUpgrade: h2c\r\nConnection: Upgrade, close\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{"a":1}`);
        await once(socket, "end");
        assert.match(text, /^HTTP\/1\.1 200 /);
        assert.deepEqual(JSON.parse(text.slice(text.indexOf("\r\n\r\n") + 4)), { got: { a: 1 } });
    });

    it("carries WebSockets (wss:), the upgrade being HTTP/1.1's", async () => {
        const ws = new WebSocket(server.url.replace(/^https/, "wss") + "/socket", { ca: tls.ca });
        await once(ws, "open");
        ws.send("hi");
        const [message] = (await once(ws, "message")) as [Buffer];
        assert.equal(message.toString(), "echo hi");
        ws.close(1000);
        await once(ws, "close");
    });
});

describe("a certificate the runtime refuses", () => {
    it("is a one-line StartupError naming the option, whether the key does not match or the PEM does not decode", async () => {
        const stranger = await generate([{ name: "commonName", value: "someone else" }], { keyType: "ec", curve: "P-256" });
        const garbled = "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n";
        for (const wrong of [{ cert: tls.cert, key: stranger.private }, { cert: garbled, key: tls.key }]) {
            await assert.rejects(startHTTPServer({ hostname: "127.0.0.1", port: 0, tls: wrong, routes: { "/GET": () => "never" } }), (error: Error) => {
                assert.equal(error.name, "StartupError");
                assert.match(error.message, /^Cannot serve HTTPS( on 127\.0\.0\.1:0)?: .+ \(check the certificate and its key: option "tls", or --tls-cert and --tls-key\)$/);
                assert.doesNotMatch(error.message, /\n/);
                return true;
            });
        }
    });
});

describe("HTTPS and curl", () => {
    it("curl --http2 gets HTTP/2 200", async (context) => {
        const curl = await new Promise<{ error: Error | null; stdout: string }>((resolve) => execFile("curl", ["-sk", "--http2", "-i", `${server.url}/text`], (error, stdout) => resolve({ error, stdout })));
        if ((curl.error as NodeJS.ErrnoException | null)?.code === "ENOENT") return context.skip("curl is not installed");
        assert.equal(curl.error, null);
        assert.match(curl.stdout, /^HTTP\/2 200 ?\r\n/);
        assert.match(curl.stdout, /hello over TLS$/);
    });
});
