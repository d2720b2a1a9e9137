import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { channel, HTTPError, WebSocketResponse, type HandlerParams } from "vshs";
import { openEventStream } from "../helpers/events.ts";
import path from "node:path";
import { fixturesDir, serve } from "../helpers/server.ts";
import { openSocket } from "../helpers/web-socket.ts";
import { runtime } from "../helpers/runtime.ts";

const closedWith: { code: number; reason: string }[] = [];
const server = await serve({
    maxMessageSize: 64 * 1024,
    routes: {
        // As the example writes it: every message back as it came.
        "/echo/GET": () =>
            new WebSocketResponse(async (self) => {
                for await (const message of self) await self.send(message);
            }),
        "/greet/GET": () =>
            new WebSocketResponse(
                (self) => {
                    self.onConnectionClosed = (code, reason) => closedWith.push({ code, reason });
                    self.onMessage = (message) => self.send({ protocol: self.protocol, got: message });
                },
                { protocols: ["chat.v2", "chat.v1"] },
            ),
        "/guarded/GET": ({ request }: HandlerParams) => {
            if (request.headers.get("authorization") !== "Bearer yes") throw new HTTPError(401, "no token");
            return new WebSocketResponse((self) => self.send("welcome"));
        },
        "/closes/GET": () => new WebSocketResponse((self) => self.close(4000, "bye")),
        "/posted/POST": ({ body }: HandlerParams) => ({ got: body }),
        "/with-cookie/GET": ({ cookies }: HandlerParams) => {
            cookies.set("seen", "yes");
            return new WebSocketResponse((self) => self.send("hi"));
        },
        "/feed/GET": ({ request }: HandlerParams) =>
            request.headers.get("upgrade") === null ? channel("sockets").stream() : new WebSocketResponse((self) => self.subscribe(channel("sockets"))),
        "/feed/POST": async ({ body }: HandlerParams) => ({ id: await channel("sockets").publish(body, "item") }),
        // Each JSON message published on the channel: the socket is also a publisher.
        "/board/GET": () =>
            new WebSocketResponse(async (self) => {
                void self.subscribe(channel("board"));
                for await (const stroke of self.json()) await channel("board").publish(stroke, "stroke");
            }),
    },
});

describe("WebSocket routes", () => {
    it("echoes text as text and binary as binary", async () => {
        const socket = await openSocket(server.url + "/echo");
        socket.ws.send("hello");
        socket.ws.send(new Uint8Array([1, 2, 3]));
        socket.ws.send(JSON.stringify({ a: 1 }));
        const [text, bytes, json] = await socket.waitFor(3);
        assert.equal(text, "hello");
        assert.deepEqual(bytes, new Uint8Array([1, 2, 3]));
        assert.equal(json, '{"a":1}');
        socket.ws.close(1000, "done");
        assert.deepEqual(await socket.closed, { code: 1000, reason: "done" });
    });

    it("sends anything else as JSON, chooses the first protocol of the route the client offers, and reports the close", async () => {
        const socket = await openSocket(server.url + "/greet", { protocols: ["chat.v1", "chat.v2"] });
        assert.equal(socket.ws.protocol, "chat.v2");
        socket.ws.send("hi");
        assert.deepEqual(JSON.parse(String((await socket.waitFor(1))[0])), { protocol: "chat.v2", got: "hi" });
        socket.ws.close(4001, "later");
        await socket.closed;
        await new Promise((resolve) => setTimeout(resolve, 50));
        assert.deepEqual(closedWith.at(-1), { code: 4001, reason: "later" });
    });

    it("answers a plain GET with 426 and Upgrade: websocket", async () => {
        const response = await server.fetch("/echo");
        assert.equal(response.status, 426);
        assert.equal(response.headers.get("upgrade"), "websocket");
        assert.match(await response.text(), /WebSocket/);
    });

    // Deno's server answers such a request 400, with no body, itself: docs/runtimes.md.
    it("answers a request that asks to upgrade but carries a body as any other, body included (curl --http2 sends Upgrade: h2c with its POST)", { skip: runtime === "deno" && "Deno answers it 400 itself" }, async () => {
        for (const upgrade of ["h2c", "websocket"]) {
            const answer = await server.raw(`POST /posted HTTP/1.1\r\nHost: localhost\r\nUpgrade: ${upgrade}\r\nConnection: Upgrade, close\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{"a":1}`);
            assert.equal(answer.status, 200, upgrade);
            assert.deepEqual(JSON.parse(answer.body), { got: { a: 1 } }, upgrade);
        }
    });

    it("answers a malformed upgrade as RFC 6455 says: another version 426, no key 400", async () => {
        const upgrade = "GET /echo HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade, close\r\n";
        const version = await server.raw(`${upgrade}Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n`);
        assert.equal(version.status, 426);
        assert.equal(version.headers["sec-websocket-version"], "13");
        const noKey = await server.raw(`${upgrade}Sec-WebSocket-Version: 13\r\n\r\n`);
        assert.equal(noKey.status, 400);
    });

    it("runs guards before the upgrade: a refusal is an ordinary answer and no socket opens", async () => {
        await assert.rejects(openSocket(server.url + "/guarded"), { status: 401, body: "no token" });
        const socket = await openSocket(server.url + "/guarded", { headers: { authorization: "Bearer yes" } });
        assert.deepEqual(await socket.waitFor(1), ["welcome"]);
        socket.ws.close();
    });

    it("delivers a channel's events to WebSockets and event streams alike, once each, in order, as JSON frames", async () => {
        const [socket, stream] = [await openSocket(server.url + "/feed"), openEventStream(server.url + "/feed")];
        await stream.opened;
        await new Promise((resolve) => setTimeout(resolve, 50)); // both follow
        const ids: string[] = [];
        for (let n = 0; n < 20; n++) ids.push(((await (await server.fetch("/feed", { method: "POST", body: JSON.stringify({ n }), headers: { "content-type": "application/json" } })).json()) as { id: string }).id);
        const frames = (await socket.waitFor(20)).map((frame) => JSON.parse(String(frame)));
        assert.deepEqual(frames, ids.map((id, n) => ({ id, event: "item", data: { n } })));
        assert.deepEqual((await stream.waitFor(20)).map((event) => event.id), ids);
        socket.ws.close();
        stream.close();
        // Resumed after the 15th, through the lastEventId query parameter; an id from long ago gets vshs-reset.
        const resumed = await openSocket(`${server.url}/feed?lastEventId=${ids[14]}`);
        assert.deepEqual((await resumed.waitFor(5)).map((frame) => JSON.parse(String(frame)).id), ids.slice(15));
        resumed.ws.close();
        const reset = await openSocket(`${server.url}/feed?lastEventId=1700000000000000`);
        assert.deepEqual(JSON.parse(String((await reset.waitFor(1))[0])), { id: ids[19], event: "vshs-reset", data: { channel: "sockets", lastEventId: "1700000000000000" } });
        reset.ws.close();
    });

    it("lets a socket publish what it receives to a channel that other sockets follow (self.json())", async () => {
        const [a, b] = [await openSocket(server.url + "/board"), await openSocket(server.url + "/board")];
        await new Promise((resolve) => setTimeout(resolve, 50));
        a.ws.send(JSON.stringify({ x: 1, y: 2 }));
        for (const socket of [a, b]) assert.deepEqual(JSON.parse(String((await socket.waitFor(1))[0])).data, { x: 1, y: 2 });
        b.ws.send("not json");
        assert.deepEqual(await b.closed, { code: 1007, reason: "a message was not JSON" });
        a.ws.close();
    });

    it("runs a folder's _middleware.ts before the upgrade, with its locals, and opens no socket when it refuses", async () => {
        const folder = await serve({ routes: path.join(fixturesDir, "socket-routes") });
        await assert.rejects(openSocket(folder.url + "/private"), { status: 401, body: "log in first" });
        const socket = await openSocket(folder.url + "/private", { headers: { "x-user": "ada" } });
        assert.deepEqual(await socket.waitFor(1), ["hello ada"]);
        socket.ws.close();
    });

    it("sends the cookies a handler set, and the CORS headers, with the 101", async () => {
        const socket = await openSocket(server.url + "/with-cookie");
        const headers = await socket.upgradeHeaders;
        assert.match(String(headers["set-cookie"]), /^seen=yes; Path=\/; HttpOnly; SameSite=Lax$/);
        assert.equal(headers["access-control-allow-origin"], "*");
        socket.ws.close();
    });

    it("closes with 1008 a socket whose route leaves more than maxEventBuffer bytes of messages unread", async () => {
        const deaf = await serve({ maxEventBuffer: 10_000, routes: { "/deaf/GET": () => new WebSocketResponse(() => {}) } });
        const socket = await openSocket(deaf.url + "/deaf");
        for (let n = 0; n < 20; n++) socket.ws.send("z".repeat(1000));
        const closed = await socket.closed;
        // Deno closes the connection with the client's last bytes unread: the reset reaches the client before the close frame.
        if (runtime === "deno" && closed.code === 1006) return;
        assert.deepEqual(closed, { code: 1008, reason: "messages not read" });
    });

    it("compresses messages (permessage-deflate) only when the perMessageDeflate option says so, and not on Deno", async () => {
        const offered = (await (await openSocket(server.url + "/echo")).upgradeHeaders)["sec-websocket-extensions"];
        assert.equal(offered, undefined, "off by default, though the client offers it");
        const compressing = await serve({ perMessageDeflate: true, routes: { "/echo/GET": () => new WebSocketResponse(async (self) => { for await (const message of self) await self.send(message); }) } });
        const socket = await openSocket(compressing.url + "/echo");
        const extensions = (await socket.upgradeHeaders)["sec-websocket-extensions"];
        if (runtime === "deno") assert.equal(extensions, undefined);
        else assert.match(String(extensions), /^permessage-deflate/);
        socket.ws.send("a".repeat(10_000));
        assert.deepEqual(await socket.waitFor(1), ["a".repeat(10_000)]);
        socket.ws.close();
    });

    it("closes with the code and reason the route gives, and with 1009 past maxMessageSize", async () => {
        const closes = await openSocket(server.url + "/closes");
        assert.deepEqual(await closes.closed, { code: 4000, reason: "bye" });
        const big = await openSocket(server.url + "/echo");
        big.ws.send("x".repeat(64 * 1024 + 1));
        assert.equal((await big.closed).code, 1009);
    });
});
