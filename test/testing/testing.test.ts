import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { channel, HTTPError, SSEResponse, WebSocketResponse, type HandlerParams } from "vshs";
import { testServer, UpgradeRefused } from "vshs/testing";

let closedStreams = 0;
const server = await testServer({
    routes: {
        "/hello/GET": () => "hi",
        "/ws/echo/GET": () =>
            new WebSocketResponse(async (self) => {
                for await (const message of self) await self.send(message);
            }),
        "/ws/private/GET": ({ request }: HandlerParams) => {
            if (request.headers.get("authorization") !== "Bearer yes") throw new HTTPError(401, "who are you?");
            return new WebSocketResponse((self) => self.send({ hello: "you" }));
        },
        "/ticks/GET": () =>
            new SSEResponse((self) => {
                let count = 0;
                const timer = setInterval(() => void self.send({ count: count++ }, "tick"), 10);
                self.onConnectionClosed = () => {
                    clearInterval(timer);
                    closedStreams++;
                };
            }),
        "/news/GET": () => channel("testing-news").stream(),
        "/news/POST": async ({ body }: HandlerParams) => ({ id: await channel("testing-news").publish(body) }),
        "/raw/GET": () =>
            new Response(": a comment\r\nevent: note\r\ndata: line 1\r\ndata: line 2\r\nid: 7\r\nretry: 1500\r\n\r\ndata:no space\n\ndata\n\n", {
                headers: { "content-type": "text/event-stream" },
            }),
    },
});
after(() => server.close());

describe("vshs/testing", () => {
    it("opens a WebSocket: send, for await of its messages, close", async () => {
        const socket = await server.websocket("/ws/echo");
        socket.send("text");
        socket.send(new Uint8Array([7]));
        socket.send({ json: true });
        const received = [];
        for await (const message of socket) {
            received.push(message);
            if (received.length === 3) break; // leaving the loop closes the socket
        }
        assert.deepEqual(received, ["text", new Uint8Array([7]), '{"json":true}']);
        assert.equal((await socket.closed).code, 1000);
    });

    it("rejects with UpgradeRefused, its status and body, when the route answers without upgrading", async () => {
        await assert.rejects(server.websocket("/ws/private"), (error) => error instanceof UpgradeRefused && error.status === 401 && error.body === "who are you?");
        const socket = await server.websocket("/ws/private", { headers: { authorization: "Bearer yes" } });
        for await (const message of socket) {
            assert.deepEqual(JSON.parse(String(message)), { hello: "you" });
            break;
        }
    });

    it("starts the routes on a free port with fetch-style calls", async () => {
        assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
        assert.equal(await (await server.fetch("/hello")).text(), "hi");
    });

    it("iterates over parsed events, and leaving the loop disconnects like a client going away", async () => {
        const counts: number[] = [];
        for await (const event of server.events("/ticks")) {
            assert.equal(event.event, "tick");
            counts.push(JSON.parse(event.data).count);
            if (counts.length === 3) break;
        }
        assert.deepEqual(counts, [0, 1, 2]);
        for (let i = 0; i < 100 && closedStreams === 0; i++) await sleep(10);
        assert.equal(closedStreams, 1);
    });

    it("gives events one at a time with next(), as the iterator protocol says, and close() disconnects", async () => {
        const stream = server.events("/ticks");
        assert.equal((await stream.response).headers.get("content-type"), "text/event-stream");
        const { value, done } = await stream.next();
        assert.equal(done, false);
        assert.equal(value?.data, '{"count":0}');
        stream.close();
        for (let i = 0; i < 100 && closedStreams === 1; i++) await sleep(10);
        assert.equal(closedStreams, 2);
        assert.deepEqual(await stream.next(), { done: true, value: undefined }, "a closed stream is done");
    });

    it("next() and for await read the same stream: a loop after next() goes on from the next event, and leaving it disconnects", async () => {
        const stream = server.events("/ticks");
        assert.equal((await stream.next()).value?.data, '{"count":0}');
        for await (const event of stream) {
            assert.equal(event.data, '{"count":1}');
            break;
        }
        for (let i = 0; i < 100 && closedStreams === 2; i++) await sleep(10);
        assert.equal(closedStreams, 3);
        assert.equal((await stream.next()).done, true);
    });

    it("is done when the server ends the stream", async () => {
        const stream = server.events("/raw");
        for (let i = 0; i < 3; i++) assert.equal((await stream.next()).done, false);
        assert.deepEqual(await stream.next(), { done: true, value: undefined });
    });

    it("is open on the server once its response has arrived: an event published then reaches it", async () => {
        const stream = server.events("/news");
        await stream.response;
        await server.fetch("/news", { method: "POST", body: JSON.stringify({ headline: "now" }), headers: { "content-type": "application/json" } });
        const { value } = await stream.next();
        assert.deepEqual(JSON.parse(value?.data ?? "null"), { headline: "now" });
        stream.close();
    });

    it("parses the event-stream format as a browser does", async () => {
        const events = [];
        for await (const event of server.events("/raw")) events.push(event);
        assert.deepEqual(events, [
            { event: "note", data: "line 1\nline 2", id: "7", retry: 1500 },
            { event: "message", data: "no space", id: "7" },
            { event: "message", data: "", id: "7" },
        ]);
    });
});
