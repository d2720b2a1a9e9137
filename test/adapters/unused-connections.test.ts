import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { describe, it } from "node:test";
import { SSEResponse, startHTTPServer } from "vshs";
import { testServer } from "vshs/testing";
import { runtime } from "../helpers/runtime.ts";

/** A connection that sends nothing, as fetch's pool opens one ahead of need; resolves once connected. */
function silentConnection(port: number): Promise<Socket> {
    return new Promise((resolve, reject) => {
        const socket = connect(port, "127.0.0.1", () => resolve(socket));
        socket.on("error", reject);
    });
}

describe("close() with connections that have sent nothing", () => {
    // Bun.serve's stop() waits for such a connection until its idle timeout, and Bun has no call that
    // closes only those: there, shutdownTimeout ends them (docs/runtimes.md).
    const bunWaits = runtime === "bun" && "Bun's stop() waits for a connection that has sent nothing";
    it("does not wait for them (they would hold it until the shutdown timeout)", { timeout: 10_000, skip: bunWaits }, async () => {
        // Timeouts far beyond the test's own: only closing such connections lets close() resolve in time.
        const server = await startHTTPServer({ hostname: "127.0.0.1", port: 0, routes: { "/GET": () => "hi" }, shutdownTimeout: 600_000, headersTimeout: 600_000, requestTimeout: 0 });
        const socket = await silentConnection(server.port);
        const closedByServer = new Promise<void>((resolve) => socket.once("close", () => resolve()));
        await server.close();
        await closedByServer;
    });

    it("the README's test pattern: leave an event stream, make one more request, close() at once", { timeout: 2500 }, async () => {
        const server = await testServer({
            routes: {
                "/hello/GET": () => "hi",
                "/clock/GET": () =>
                    new SSEResponse((self) => {
                        const timer = setInterval(() => void self.send({ time: Date.now() }, "tick"), 20);
                        self.onConnectionClosed = () => clearInterval(timer);
                    }),
            },
            shutdownTimeout: 600_000,
        });
        for await (const event of server.events("/clock")) {
            assert.equal(event.event, "tick");
            break;
        }
        assert.equal(await (await server.fetch("/hello")).text(), "hi");
        await server.close(); // it took ~3 s on Node, waiting on a connection fetch opened and never used
    });
});
