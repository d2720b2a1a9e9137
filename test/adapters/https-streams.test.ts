/**
 * Event streams over HTTP/2: each is one stream of a connection that carries others, so a client that
 * leaves one (an EventSource closed) resets that stream alone, and the server must notice it there; and
 * shutdown sends GOAWAY, ends the streams with their `retry:` hint, and lets the connection close.
 */
import assert from "node:assert/strict";
import https from "node:https";
import { describe, it } from "node:test";
import { SSEResponse, startHTTPServer, type RoutesObject } from "vshs";
import { runtime } from "../helpers/runtime.ts";
import { captureErrors, serve } from "../helpers/server.ts";
import { localhostCertificate } from "../helpers/tls.ts";
import { connected, connectH2, h2EventStream, h2Request, until } from "./h2-client.ts";

const tls = await localhostCertificate();
const seen = { opened: 0, closed: 0, floodClosed: 0 };

const routes: RoutesObject = {
    "/hello/GET": () => "hello",
    // One tick at once, then every 20 ms, until the client leaves.
    "/ticks/GET": () =>
        new SSEResponse((self) => {
            seen.opened++;
            let count = 0;
            const timer = setInterval(() => void self.send({ count: ++count }, "tick"), 20);
            void self.send({ count }, "tick");
            self.onConnectionClosed = () => {
                clearInterval(timer);
                seen.closed++;
            };
        }),
    // 16 KiB events that nobody awaits, as a channel fanning out sends them: only maxEventBuffer stops
    // the growth when the client stops reading.
    "/flood/GET": () =>
        new SSEResponse(async (self) => {
            self.onConnectionClosed = () => seen.floodClosed++;
            const block = "x".repeat(16 * 1024);
            while (!self.closed) {
                void self.send(block);
                await new Promise((resolve) => setImmediate(resolve));
            }
        }),
};
const server = await serve({ tls, routes, maxEventBuffer: 256 * 1024 });

describe("event streams over HTTP/2", () => {
    const session = connectH2(server.url, tls.ca);

    it("the client closing its stream is noticed, and the same connection serves the next request", async () => {
        await connected(session);
        const before = { ...seen };
        const events = h2EventStream(session, "/ticks");
        const [first, second] = await events.waitFor(2);
        assert.deepEqual([first!.event, second!.event], ["tick", "tick"]);
        events.close();
        await until(() => seen.closed === before.closed + 1, 3000, "the server to notice the stream closed");
        assert.equal(session.closed || session.destroyed, false);
        assert.equal((await h2Request(session, { ":path": "/hello" })).body, "hello");
    });

    it("twenty streams live at once on one connection (HTTP/1.1 browsers stop at six per origin)", async () => {
        const before = { ...seen };
        const streams = Array.from({ length: 20 }, () => h2EventStream(session, "/ticks"));
        await Promise.all(streams.map((each) => each.waitFor(3)));
        assert.equal(seen.opened, before.opened + 20);
        streams.forEach((each) => each.close());
        await until(() => seen.closed === before.closed + 20, 3000, "the server to notice every stream closed");
        assert.equal((await h2Request(session, { ":path": "/hello" })).status, 200);
    });

    it("a client that stops reading one stream has it cut off at maxEventBuffer; the connection serves on", async () => {
        const { result: rstCode, logged } = await captureErrors(async () => {
            const flood = h2EventStream(session, "/flood");
            await flood.waitFor(1);
            flood.stream.pause();
            await until(() => seen.floodClosed === 1, 5000, "the stream to be cut off");
            flood.stream.resume(); // Bun's node:http2 client reports the reset of a paused stream only once it reads again
            return (await flood.ended).rstCode;
        });
        // Node resets the stream with CANCEL; Deno and Bun, whose body stream vshs ends with an error, with INTERNAL_ERROR.
        assert.equal(rstCode, runtime === "node" ? 8 : 2);
        assert.match(logged, /maxEventBuffer/);
        assert.equal((await h2Request(session, { ":path": "/hello" })).status, 200);
    });
});

describe("shutdown over HTTPS", () => {
    it("sends GOAWAY, ends an open event stream with its retry: hint, and close() resolves", async () => {
        const own = await startHTTPServer({ hostname: "127.0.0.1", port: 0, tls, routes, shutdownTimeout: 5000 });
        const session = connectH2(own.url, tls.ca);
        let goaway: number | undefined;
        session.on("goaway", (code: number) => (goaway = code));
        const events = h2EventStream(session, "/ticks");
        await events.waitFor(2);
        const started = performance.now();
        await own.close();
        assert.ok(performance.now() - started < 2000, `close() took ${performance.now() - started} ms`);
        const { rstCode, text } = await events.ended;
        assert.equal(rstCode, 0);
        assert.match(text, /\nretry: \d+\n\n$/);
        // Deno's node:http2 client reports no GOAWAY event; its stream's end says the same.
        if (runtime !== "deno") assert.equal(goaway, 0);
    });

    it("does not wait for idle HTTP/1.1 keep-alive connections", async () => {
        const own = await startHTTPServer({ hostname: "127.0.0.1", port: 0, tls, routes, shutdownTimeout: 5000 });
        const agent = new https.Agent({ keepAlive: true, ca: tls.ca });
        const status = await new Promise<number>((resolve, reject) => https.get(`${own.url}/hello`, { agent }, (response) => response.resume().on("end", () => resolve(response.statusCode!))).on("error", reject));
        assert.equal(status, 200);
        const started = performance.now();
        await own.close();
        assert.ok(performance.now() - started < 2000, `close() took ${performance.now() - started} ms`);
        agent.destroy();
    });

    it("cuts off, at shutdownTimeout, a stream whose handler never answers", async () => {
        const own = await startHTTPServer({ hostname: "127.0.0.1", port: 0, tls, handlerTimeout: 0, shutdownTimeout: 300, routes: { "/hang/GET": () => new Promise(() => {}) } });
        const session = connectH2(own.url, tls.ca);
        const stream = session.request({ ":path": "/hang" }, { endStream: true });
        stream.on("error", () => {}); // cut: a reset, or the connection dropped
        stream.resume();
        const streamClosed = new Promise((resolve) => stream.on("close", resolve));
        await new Promise((resolve) => setTimeout(resolve, 100));
        const started = performance.now();
        await own.close();
        const took = performance.now() - started;
        assert.ok(took >= 250 && took < 3000, `close() took ${took} ms`);
        await streamClosed;
    });
});
