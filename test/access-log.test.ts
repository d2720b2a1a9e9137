import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SSEResponse, WebSocketResponse, type AccessLogEntry } from "vshs";
import { openSocket } from "./helpers/web-socket.ts";
import { captureErrors, serve } from "./helpers/server.ts";

const entries: AccessLogEntry[] = [];
const recorded = await serve({
    routes: {
        "/hello/GET": () => "hello",
        // An event stream that sends for 300 ms, then ends.
        "/stream/GET": () =>
            new SSEResponse(async (self) => {
                await self.send("first");
                setTimeout(() => self.close(), 300);
            }),
        "/streamed-body/GET": () =>
            new Response(
                new ReadableStream({
                    async pull(controller) {
                        await new Promise((resolve) => setTimeout(resolve, 300));
                        controller.enqueue(new TextEncoder().encode("late"));
                        controller.close();
                    },
                    start(controller) {
                        controller.enqueue(new TextEncoder().encode("early, "));
                    },
                }),
            ),
    },
    logger: (entry) => void entries.push(entry),
});
const throwing = await serve({
    routes: { "/hello/GET": () => "hello" },
    logger: () => {
        throw new Error("the log's disk is full");
    },
});

describe("the access log", () => {
    it("logs a WebSocket handshake with 101 once the socket is open", async () => {
        const logged: AccessLogEntry[] = [];
        const sockets = await serve({ routes: { "/socket/GET": () => new WebSocketResponse((self) => self.send("open")) }, logger: (entry) => void logged.push(entry) });
        const socket = await openSocket(sockets.url + "/socket?room=1");
        await socket.waitFor(1);
        socket.ws.close();
        assert.deepEqual(logged.map(({ method, path, status }) => ({ method, path, status })), [{ method: "GET", path: "/socket", status: 101 }]);
    });

    it("gives a logger function the time, method, path (without the query), status and duration of each answer", async () => {
        await (await recorded.fetch("/hello?x=1")).text();
        await (await recorded.fetch("/missing")).text();
        await new Promise((resolve) => setTimeout(resolve, 20));
        assert.deepEqual(
            entries.map(({ method, path, status }) => ({ method, path, status })),
            [
                { method: "GET", path: "/hello", status: 200 },
                { method: "GET", path: "/missing", status: 404 },
            ],
        );
        for (const entry of entries) {
            assert.ok(entry.time instanceof Date);
            assert.ok(entry.durationMs >= 0);
        }
    });

    it("logs an event stream or a streamed body once, when it ends, with its whole duration (the same rule on every runtime)", async () => {
        entries.length = 0;
        const streamed = await recorded.fetch("/stream");
        await new Promise((resolve) => setTimeout(resolve, 100));
        assert.equal(entries.length, 0, "nothing logged while the stream is open");
        assert.match(await streamed.text(), /data: "first"/);
        const body = await (await recorded.fetch("/streamed-body")).text();
        assert.equal(body, "early, late");
        await new Promise((resolve) => setTimeout(resolve, 50));
        assert.deepEqual(
            entries.map(({ path, status }) => ({ path, status })),
            [
                { path: "/stream", status: 200 },
                { path: "/streamed-body", status: 200 },
            ],
        );
        for (const entry of entries) assert.ok(entry.durationMs >= 250, `${entry.path} logged after ${entry.durationMs} ms`);
    });

    it("a logger that throws changes no answer and stops nothing: its error is logged", async () => {
        const { result, logged } = await captureErrors(async () => {
            const answers: string[] = [];
            for (let i = 0; i < 3; i++) {
                const response = await throwing.fetch("/hello");
                answers.push(`${response.status} ${await response.text()}`);
            }
            return answers;
        });
        assert.deepEqual(result, ["200 hello", "200 hello", "200 hello"]);
        assert.match(logged, /The access logger threw: Error: the log's disk is full/);
    });
});
