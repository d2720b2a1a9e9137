import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { startHTTPServer, WebSocketResponse } from "vshs";
import { closeCode, opcodes, openRawSocket, type RawSocket } from "../helpers/raw-socket.ts";
import { runtime } from "../helpers/runtime.ts";
import { serve } from "../helpers/server.ts";
import { openSocket } from "../helpers/web-socket.ts";

const chunk = "x".repeat(64 * 1024);
const firehose = { closed: 0 };
const awaited = { sent: 0 };
const server = await serve({
    maxMessageSize: 1000,
    maxEventBuffer: 256 * 1024,
    heartbeatInterval: 200,
    cors: ["http://app.example"],
    routes: {
        "/echo/GET": () =>
            new WebSocketResponse(async (self) => {
                for await (const message of self) await self.send(message);
            }),
        // Sends nobody awaits, as a channel fanning out does: only the bound stops the growth.
        "/firehose/GET": () =>
            new WebSocketResponse(async (self) => {
                self.onConnectionClosed = () => firehose.closed++;
                while (!self.closed) {
                    void self.send(chunk);
                    await new Promise((resolve) => setImmediate(resolve));
                }
            }),
        // Sends it awaits: it goes at the client's pace, however slow.
        "/awaited/GET": () =>
            new WebSocketResponse(async (self) => {
                for (;;) {
                    await self.send(chunk);
                    awaited.sent += chunk.length;
                }
            }),
    },
});

// Deno accepts a client frame that is not masked (RFC 6455 §5.1 says to close): docs/websockets.md says so.
describe("WebSocket bounds and protocol errors, as raw frames", () => {
    it("echoes a message sent in fragments, and answers a ping with a pong of the same payload", async () => {
        const raw = await openRawSocket(server.port, "/echo");
        raw.send(opcodes.text, "hel", { fin: false });
        raw.send(opcodes.continuation, "lo");
        assert.equal((await raw.next((frame) => frame.opcode === opcodes.text)).payload.toString(), "hello");
        raw.send(opcodes.ping, "are you there");
        assert.equal((await raw.next((frame) => frame.opcode === opcodes.pong && frame.payload.toString() === "are you there")).payload.toString(), "are you there");
        raw.socket.destroy();
    });

    it("answers a close frame with one of the same code, then ends the connection", async () => {
        const raw = await openRawSocket(server.port, "/echo");
        const reason = Buffer.from([0x03, 0xe8, ...Buffer.from("bye")]);
        raw.send(opcodes.close, reason);
        assert.equal(closeCode(await raw.next((frame) => frame.opcode === opcodes.close)), 1000);
        await raw.ended;
    });

    type Refusal = [string, (raw: RawSocket) => void, number];
    const unmasked: Refusal = ["an unmasked client frame", (raw) => raw.send(opcodes.text, "hello", { mask: false }), 1002];
    const refusals: Refusal[] = [
        ...(runtime === "deno" ? [] : [unmasked]),
        ["a reserved opcode", (raw) => raw.send(3, "hello"), 1002],
        ["a reserved bit set", (raw) => raw.send(opcodes.text, "hello", { rsv: 4 }), 1002],
        ["a message over maxMessageSize", (raw) => raw.send(opcodes.text, "y".repeat(1001)), 1009],
        ["fragments adding up to more than maxMessageSize", (raw) => (raw.send(opcodes.text, "y".repeat(600), { fin: false }), raw.send(opcodes.continuation, "y".repeat(600))), 1009],
        ["text that is not UTF-8", (raw) => raw.send(opcodes.text, Buffer.from([0x68, 0xc3, 0x28])), 1007],
    ];
    for (const [what, send, code] of refusals) {
        it(`closes on ${what} with ${code}`, async () => {
            const raw = await openRawSocket(server.port, "/echo");
            send(raw);
            // A close frame with the code, or (Deno, for a protocol error) the connection dropped at once: either way, nothing more is read.
            const outcome = await Promise.race([raw.next((frame) => frame.opcode === opcodes.close).then(closeCode), raw.ended.then(() => "dropped" as const)]);
            if (outcome !== "dropped") assert.equal(outcome, code);
            assert.deepEqual(raw.frames.filter((frame) => frame.opcode !== opcodes.close && frame.opcode !== opcodes.ping), [], "the message was not taken");
            raw.socket.destroy();
        });
    }
});

describe("WebSocket bounds of the server", () => {
    it("drops a client that stops answering pings", { skip: runtime === "deno" && "Deno's WebSocket cannot send a ping, and its own pings are off (docs/websockets.md)" }, async () => {
        const raw = await openRawSocket(server.port, "/echo"); // a hand-written client answers no ping
        const started = Date.now();
        await raw.ended;
        assert.ok(Date.now() - started >= 200, "not before a ping went unanswered");
    });

    it("cuts off a client that does not read once maxEventBuffer is passed", async () => {
        const raw = await openRawSocket(server.port, "/firehose", { read: false });
        const deadline = Date.now() + 10_000;
        while (firehose.closed === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
        raw.socket.destroy();
        assert.equal(firehose.closed, 1);
    });

    it("makes await send() wait while the client does not read", async () => {
        const raw = await openRawSocket(server.port, "/awaited", { read: false });
        // The kernel's buffers take a few MiB first (they grow as they fill); then the loop must stop.
        let stalled = false;
        for (let waited = 0; !stalled && waited < 8000; waited += 400) {
            const before = awaited.sent;
            await new Promise((resolve) => setTimeout(resolve, 400));
            stalled = awaited.sent === before && before > 0;
        }
        raw.socket.destroy();
        assert.ok(stalled, `send() kept resolving although nothing was read (${awaited.sent} bytes)`);
        assert.ok(awaited.sent < 48 * 1024 * 1024, `${awaited.sent} bytes`);
    });

    it("refuses a socket opened by a page of another origin, unless cors names it", async () => {
        await assert.rejects(openSocket(server.url + "/echo", { headers: { origin: "http://evil.example" } }), { status: 403 });
        const named = await openSocket(server.url + "/echo", { headers: { origin: "http://app.example" } });
        named.ws.close();
        const same = await openSocket(server.url + "/echo", { headers: { origin: server.url } });
        same.ws.close();
    });

    it("closes every socket with 1001 when the server stops", async () => {
        const own = await startHTTPServer({ hostname: "127.0.0.1", port: 0, routes: { "/GET": () => new WebSocketResponse(() => {}) } });
        const socket = await openSocket(own.url + "/");
        await own.close();
        assert.equal((await socket.closed).code, 1001);
    });
});
