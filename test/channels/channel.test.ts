import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { channel } from "vshs";
import { openEventStream } from "../helpers/events.ts";
import { serve } from "../helpers/server.ts";

const history = 5;
const server = await serve({
    channelHistory: history,
    routes: {
        "/news/GET": () => channel("news").stream(),
        "/news/POST": async ({ body }) => ({ id: await channel("news").publish(body, "story") }),
        "/quiet/GET": () => channel("quiet").stream(),
    },
});

async function publish(data: unknown): Promise<string> {
    const response = await server.fetch("/news", { method: "POST", body: JSON.stringify(data), headers: { "content-type": "application/json" } });
    return ((await response.json()) as { id: string }).id;
}

describe("channels (within one process)", () => {
    it("delivers every published event to every follower, in order, with increasing ids", async () => {
        const first = openEventStream(server.url + "/news");
        const second = openEventStream(server.url + "/news");
        await Promise.all([first.opened, second.opened]);
        await new Promise((resolve) => setTimeout(resolve, 20)); // both are following
        const ids = await Promise.all(Array.from({ length: 20 }, (_, n) => publish({ n })));
        for (const stream of [first, second]) {
            const events = await stream.waitFor(20);
            assert.deepEqual(
                events.map((event) => JSON.parse(event.data).n),
                Array.from({ length: 20 }, (_, n) => n).sort((a, b) => Number(ids[a]) - Number(ids[b])),
            );
            const received = events.map((event) => Number(event.id));
            assert.deepEqual(received, [...received].sort((a, b) => a - b));
            assert.equal(new Set(received).size, 20);
            assert.ok(events.every((event) => event.event === "story"));
            stream.close();
        }
    });

    it("replays what a reconnecting client missed (Last-Event-ID), then goes on live", async () => {
        const ids: string[] = [];
        for (let n = 0; n < 4; n++) ids.push(await publish({ resume: n }));
        const stream = openEventStream(server.url + "/news", { "last-event-id": ids[1]! });
        const replayed = await stream.waitFor(2);
        assert.deepEqual(replayed.map((event) => event.id), [ids[2], ids[3]]);
        const live = await publish({ resume: "live" });
        const events = await stream.waitFor(3);
        stream.close();
        assert.deepEqual(events.map((event) => event.id), [ids[2], ids[3], live]);
    });

    it("sends a vshs-reset event when the Last-Event-ID is older than the history, or from another run", async () => {
        const ids: string[] = [];
        for (let n = 0; n < history + 3; n++) ids.push(await publish({ old: n }));
        for (const lastEventId of [ids[0]!, "1", "99999999999999999", "not-a-number"]) {
            const stream = openEventStream(server.url + "/news", { "last-event-id": lastEventId });
            const [reset] = await stream.waitFor(1);
            stream.close();
            assert.equal(reset!.event, "vshs-reset", lastEventId);
            assert.equal(reset!.id, ids.at(-1), "the client's Last-Event-ID moves on to the latest");
            assert.deepEqual(JSON.parse(reset!.data), { channel: "news", lastEventId });
        }
        // Within the history, the client gets the events it missed and no reset.
        const stream = openEventStream(server.url + "/news", { "last-event-id": ids.at(-3)! });
        const events = await stream.waitFor(2);
        stream.close();
        assert.deepEqual(events.map((event) => event.id), ids.slice(-2));
    });

    it("replays nothing to a client that is up to date, and an unused channel resets a stale id", async () => {
        const latest = await publish({ upToDate: true });
        const stream = openEventStream(server.url + "/news", { "last-event-id": latest });
        const next = await publish({ after: true });
        const [event] = await stream.waitFor(1);
        stream.close();
        assert.equal(event!.id, next);
        const quiet = openEventStream(server.url + "/quiet", { "last-event-id": "12" });
        const [reset] = await quiet.waitFor(1);
        quiet.close();
        assert.equal(reset!.event, "vshs-reset");
    });

    it("refuses an event name with a line break, and publishes from code outside any request", async () => {
        await assert.rejects(channel("news").publish(1, "two\nlines"), /An event name cannot contain a line break/);
        const stream = openEventStream(server.url + "/news");
        await stream.opened;
        await new Promise((resolve) => setTimeout(resolve, 20));
        const id = await channel("news").publish("from a timer");
        const [event] = await stream.waitFor(1);
        stream.close();
        assert.deepEqual(event, { event: "message", data: '"from a timer"', id });
    });
});
