import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HTTPError, WebSocketResponse, type HandlerParams } from "vshs";
import { serve } from "../helpers/server.ts";
import { openSocket } from "../helpers/web-socket.ts";

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

    it("closes with the code and reason the route gives, and with 1009 past maxMessageSize", async () => {
        const closes = await openSocket(server.url + "/closes");
        assert.deepEqual(await closes.closed, { code: 4000, reason: "bye" });
        const big = await openSocket(server.url + "/echo");
        big.ws.send("x".repeat(64 * 1024 + 1));
        assert.equal((await big.closed).code, 1009);
    });
});
