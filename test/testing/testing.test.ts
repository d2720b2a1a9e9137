import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { SSEResponse } from "vshs";
import { testServer } from "vshs/testing";

let closedStreams = 0;
const server = await testServer({
    routes: {
        "/hello/GET": () => "hi",
        "/ticks/GET": () =>
            new SSEResponse((self) => {
                let count = 0;
                const timer = setInterval(() => void self.send({ count: count++ }, "tick"), 10);
                self.onConnectionClosed = () => {
                    clearInterval(timer);
                    closedStreams++;
                };
            }),
        "/raw/GET": () =>
            new Response(": a comment\r\nevent: note\r\ndata: line 1\r\ndata: line 2\r\nid: 7\r\nretry: 1500\r\n\r\ndata:no space\n\ndata\n\n", {
                headers: { "content-type": "text/event-stream" },
            }),
    },
});
after(() => server.close());

describe("vshs/testing", () => {
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

    it("gives events one at a time with next(), and close() disconnects", async () => {
        const stream = server.events("/ticks");
        assert.equal((await stream.response).headers.get("content-type"), "text/event-stream");
        assert.equal((await stream.next()).data, '{"count":0}');
        stream.close();
        for (let i = 0; i < 100 && closedStreams === 1; i++) await sleep(10);
        assert.equal(closedStreams, 2);
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
