import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { channel, type HandlerParams } from "vshs";
import { ChannelHistory, replayFrom } from "../../src/channels/history.ts";
import { openEventStream } from "../helpers/events.ts";
import { serve } from "../helpers/server.ts";

const history = 5;
const server = await serve({
    channelHistory: history,
    routes: {
        "/news/GET": () => channel("news").stream(),
        "/news/POST": async ({ body }) => ({ id: await channel("news").publish(body, "story") }),
        "/quiet/GET": () => channel("quiet").stream(),
        "/rooms/{room}/GET": ({ route }: HandlerParams) => channel(route.vars.room!).stream(),
    },
});

/** What the channels of this process keep: channels followed here, and channels the transport keeps events (or ids) for. */
function keptChannels(): Promise<{ followed: number; kept: number }> {
    const hub = (globalThis as Record<symbol, Record<symbol, () => Promise<{ followed: number; kept: number }>>>)[Symbol.for("vshs.channels")]!;
    return hub[Symbol.for("vshs.channels.kept")]!();
}

/** Resolves once `condition()` holds, polling; rejects after `ms` with the last value seen. */
async function until<T>(what: string, read: () => Promise<T>, condition: (value: T) => boolean, ms = 5000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
        const value = await read();
        if (condition(value)) return value;
        if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}; last: ${JSON.stringify(value)}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
    }
}

async function publish(data: unknown): Promise<string> {
    const response = await server.fetch("/news", { method: "POST", body: JSON.stringify(data), headers: { "content-type": "application/json" } });
    return ((await response.json()) as { id: string }).id;
}

describe("channels (within one process)", () => {
    it("publishes once per publish key: a retry with the same key resolves with the first event's id", async () => {
        const [stream, elsewhere] = [openEventStream(server.url + "/rooms/keyed"), openEventStream(server.url + "/rooms/elsewhere")];
        try {
            await Promise.all([stream.opened, elsewhere.opened]);
            await new Promise((resolve) => setTimeout(resolve, 20));
            const first = await channel("keyed").publish({ order: 1 }, "order", { key: "order-1" });
            assert.equal(await channel("keyed").publish({ order: 1 }, "order", { key: "order-1" }), first);
            await channel("elsewhere").publish({ order: 1 }, "order", { key: "order-1" }); // a key is per channel
            const second = await channel("keyed").publish({ order: 2 }, "order", { key: "order-2" });
            assert.deepEqual((await stream.waitFor(2)).map((event) => event.id), [first, second]);
            assert.equal((await elsewhere.waitFor(1)).length, 1);
            await new Promise((resolve) => setTimeout(resolve, 50));
            assert.equal(stream.events.length, 2);
        } finally {
            stream.close();
            elsewhere.close();
        }
        await assert.rejects(channel("keyed").publish(1, undefined, { key: "" }), { name: "TypeError", message: "A publish key is a string of 1 to 200 characters" });
    });

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

    it("keeps nothing for channels only followed: streams on random names with a Last-Event-ID, opened and closed", async () => {
        const before = await until("the streams of earlier tests gone", keptChannels, (kept) => kept.followed === 0);
        for (let batch = 0; batch < 10; batch++) {
            const streams = Array.from({ length: 30 }, (_, n) => openEventStream(`${server.url}/rooms/room-${batch}-${n}-${Math.random()}`, { "last-event-id": "1700000000000000" }));
            for (const stream of streams) assert.equal((await stream.waitFor(1))[0]!.event, "vshs-reset");
            streams.forEach((stream) => stream.close());
        }
        const after = await until("every stream's follower gone", keptChannels, (kept) => kept.followed === 0);
        assert.deepEqual(after, before, "no channel kept for a name nobody published to");
    });
});

describe("ChannelHistory (what the only process, or the cluster primary, keeps)", () => {
    it("keeps nothing for a channel read but never published to, and answers its readers as before", () => {
        const history = new ChannelHistory(5, 3);
        const resets = Array.from({ length: 1000 }, (_, n) => history.replay(`never-${n}`, 1_700_000_000_000_000 + n));
        assert.equal(history.size, 0);
        for (const reset of resets) assert.deepEqual(reset, resets[0]);
        assert.ok("tooOld" in resets[0]!);
        // A client told to reload moves on to latestId; reconnecting with it, it gets the events published since.
        const latestId = resets[0].latestId;
        assert.deepEqual(history.replay("never-0", latestId), { missed: [] });
        const first = history.add("never-0", "e", "1");
        assert.equal(first.id, latestId + 1);
        assert.deepEqual(history.replay("never-0", latestId), { missed: [first] });
    });

    it("keeps the channels most recently published to, and tells the readers of one let go of to reload", () => {
        const history = new ChannelHistory(5, 3);
        const lastIds = new Map<string, number>();
        for (const name of ["a", "b", "c", "a", "d"]) lastIds.set(name, history.add(name, undefined, name).id);
        assert.equal(history.size, 3, "b, published to longest ago, is let go of");
        assert.deepEqual(history.replay("a", lastIds.get("a")! - 1), { missed: [{ id: lastIds.get("a")!, event: undefined, data: "a" }] });
        assert.deepEqual(history.replay("c", lastIds.get("c")!), { missed: [] });
        const gone = history.replay("b", lastIds.get("b")! - 1);
        assert.ok("tooOld" in gone, "a reader of b missed events that are no longer kept");
        // b numbers on from above the ids it gave: a client holding one is never sent an event twice.
        const again = history.add("b", undefined, "again");
        assert.ok(again.id > lastIds.get("b")!, `${again.id}`);
        assert.equal(history.size, 3);
        for (let n = 0; n < 10_000; n++) history.add(`random-${n}`, undefined, "x");
        assert.equal(history.size, 3);
    });

    it("resumes only when every event after the id is kept, one after the other; else the client must reload", () => {
        const event = (id: number) => ({ id, event: undefined, data: String(id) });
        const events = [10, 11, 12, 13].map(event);
        assert.deepEqual(replayFrom({ lastId: 13, events }, 11), { missed: [event(12), event(13)] });
        assert.deepEqual(replayFrom({ lastId: 13, events }, 9), { missed: events });
        assert.deepEqual(replayFrom({ lastId: 13, events }, 8), { tooOld: true, latestId: 13 });
        assert.deepEqual(replayFrom({ lastId: 13, events }, 14), { tooOld: true, latestId: 13 });
        // Kept by processes with different histories sharing a Redis: a hole is never skipped silently.
        const holed = [10, 12, 13].map(event);
        assert.deepEqual(replayFrom({ lastId: 13, events: holed }, 11), { missed: [event(12), event(13)] });
        assert.deepEqual(replayFrom({ lastId: 13, events: holed }, 10), { tooOld: true, latestId: 13 });
        assert.deepEqual(replayFrom({ lastId: 14, events: holed }, 12), { tooOld: true, latestId: 14 });
    });

    it("keeps ids without events when it keeps no history", () => {
        const history = new ChannelHistory(0, 2);
        const first = history.add("a", undefined, "1");
        const second = history.add("a", undefined, "2");
        assert.equal(second.id, first.id + 1);
        assert.deepEqual(history.replay("a", second.id), { missed: [] });
        assert.deepEqual(history.replay("a", first.id), { tooOld: true, latestId: second.id });
    });
});
