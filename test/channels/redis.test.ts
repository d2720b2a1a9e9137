import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import { after, afterEach, before, describe, it } from "node:test";
import { createClient } from "@redis/client";
import { RedisTransport } from "../../src/channels/redis.ts";
import type { ChannelMessage, LostEvents } from "../../src/channels/transport.ts";
import { startCli, type RunningCli } from "../helpers/cli.ts";
import { openEventStream } from "../helpers/events.ts";
import { openSocket } from "../helpers/web-socket.ts";
import { scriptCommand } from "../helpers/runtime.ts";
import { fixturesDir } from "../helpers/server.ts";
import { freePort, skipWithoutRedis, startRedis, until, type RedisServer } from "../helpers/redis.ts";

const skip = skipWithoutRedis;

/** What console.error prints while the test runs, without printing it. */
function captureConsoleErrors(): { lines: string[]; restore(): void } {
    const original = console.error;
    const lines: string[] = [];
    console.error = (...args: unknown[]) => void lines.push(args.map(String).join(" "));
    return { lines, restore: () => void (console.error = original) };
}

/** A plain client, to look at what the transport keeps and to stand in for others. */
function connectAdmin(url: string) {
    return createClient({ url }).connect();
}

/** A transport standing for one process whose streams follow the channels `followed` says: what its `deliver` received, per channel. */
async function connectTransport(url: string, history: number, channelsKept = 10_000, followed = (_channel: string) => true) {
    const received = new Map<string, (ChannelMessage | LostEvents)[]>();
    let count = 0;
    const transport = await RedisTransport.connect(url, {
        history,
        channelsKept,
        redisTimeout: 0,
        deliver: (channel, message) => {
            (received.get(channel) ?? received.set(channel, []).get(channel)!).push(message);
            count++;
            return followed(channel);
        },
    });
    return { transport, received: (channel: string) => received.get(channel) ?? [], count: () => count };
}

describe("RedisTransport against a real redis-server", { skip }, () => {
    let redis: RedisServer;
    let admin: Awaited<ReturnType<typeof connectAdmin>>;
    const open: RedisTransport[] = [];
    before(async () => {
        redis = await startRedis();
        admin = await connectAdmin(redis.url);
    });
    // Each test's transports are the only ones following while it runs; the next may keep channels otherwise.
    afterEach(async () => {
        await Promise.all(open.splice(0).map((transport) => transport.close()));
        await admin.del("vshs:settings");
    });
    after(async () => {
        await admin?.close();
        await redis?.stop();
    });

    async function transportOf(history = 100, channelsKept?: number, followed?: (channel: string) => boolean) {
        const made = await connectTransport(redis.url, history, channelsKept, followed);
        open.push(made.transport);
        return made;
    }

    it("numbers from Redis's clock in one sequence for every process, and delivers each event to each process once, in id order", async () => {
        const [a, b] = await Promise.all([transportOf(), transportOf()]);
        const clock = Date.now() * 1000;
        const ids = await Promise.all(Array.from({ length: 100 }, (_, n) => (n % 2 === 0 ? a : b).transport.publish("order", "tick", String(n))));
        const sorted = [...ids].sort((x, y) => x - y);
        assert.ok(sorted[0]! >= clock && sorted[99]! < 2 ** 53, `ids from the clock: ${sorted[0]}`);
        assert.equal(sorted[99]! - sorted[0]!, 99, "consecutive ids");
        for (const each of [a, b]) {
            await until("100 events", () => each.received("order").length >= 100);
            const received = each.received("order") as ChannelMessage[];
            assert.deepEqual(received.map((message) => message.id), sorted);
            for (const message of received) {
                const first = message.id === sorted[0] ? { first: true } : {};
                assert.deepEqual(message, { id: message.id, event: "tick", data: String(ids.indexOf(message.id)), ...first });
            }
        }
        const unnamed = await a.transport.publish("order", undefined, '{"text":"line\\nbreak"}');
        await until("an event without a name", () => b.received("order").length === 101);
        assert.deepEqual(b.received("order")[100], { id: unnamed, event: undefined, data: '{"text":"line\\nbreak"}' });
    });

    it("keeps the last `history` events in Redis: replays after a kept id, resets an older, unknown or future one", async () => {
        const { transport } = await transportOf(5);
        const ids: number[] = [];
        for (let n = 0; n < 8; n++) ids.push(await transport.publish("kept", "e", String(n)));
        assert.equal(await admin.lLen("vshs:channel:kept:history"), 5);
        assert.equal(Number(await admin.get("vshs:channel:kept:id")), ids[7]);
        assert.deepEqual(await transport.replay("kept", ids[4]!), { missed: [5, 6, 7].map((n) => ({ id: ids[n]!, event: "e", data: String(n) })) });
        assert.deepEqual(await transport.replay("kept", ids[2]!), { missed: [3, 4, 5, 6, 7].map((n) => ({ id: ids[n]!, event: "e", data: String(n) })) });
        assert.deepEqual(await transport.replay("kept", ids[7]!), { missed: [] });
        assert.deepEqual(await transport.replay("kept", ids[1]!), { tooOld: true, latestId: ids[7] });
        assert.deepEqual(await transport.replay("kept", ids[7]! + 1), { tooOld: true, latestId: ids[7] });
        assert.deepEqual(await transport.replay("kept", 12), { tooOld: true, latestId: ids[7] });
        // A channel never published to: any id is from another run; the reset names an id below the first to come.
        const before = Date.now() * 1000;
        const fresh = await transport.replay("never-published", 12);
        assert.ok("tooOld" in fresh && fresh.latestId >= before - 1 && fresh.latestId < (await transport.publish("never-published", "e", "1")));
    });

    it("reads from Redis only the events a resume replays, whatever the history kept", async () => {
        const { transport } = await transportOf(1000);
        const ids: number[] = [];
        for (let n = 0; n < 300; n++) ids.push(await transport.publish("storm", "e", String(n)));
        const watcher = await connectAdmin(redis.url);
        const seen: string[] = [];
        await watcher.monitor((line) => void seen.push(line));
        try {
            assert.deepEqual(await transport.replay("storm", ids[298]!), { missed: [{ id: ids[299]!, event: "e", data: "299" }] });
            assert.deepEqual(await transport.replay("storm", ids[0]! - 5), { tooOld: true, latestId: ids[299] }, "older than the history: nothing read");
            await until("the commands of both resumes", () => seen.filter((line) => line.includes('"LLEN"')).length === 2);
        } finally {
            await watcher.close();
        }
        assert.deepEqual(seen.filter((line) => line.includes('"LRANGE"')).map((line) => line.replace(/^.*?"LRANGE"/, "LRANGE")), ['LRANGE "vshs:channel:storm:history" "-1" "-1"']);
    });

    it("fetches from the history the events its subscription missed, before handing over the next one", async () => {
        const { transport, received } = await transportOf(10);
        const first = await transport.publish("gap", "e", "first");
        await until("the first event", () => received("gap").length === 1);
        // An event numbered and kept while this process's subscription was down: its PUBLISH never reached it.
        const missed = await admin.incr("vshs:channel:gap:id");
        await admin.rPush("vshs:channel:gap:history", JSON.stringify({ id: missed, event: "e", data: "missed" }));
        const next = await transport.publish("gap", "e", "next");
        await until("three events", () => received("gap").length === 3);
        assert.deepEqual(received("gap"), [
            { id: first, event: "e", data: "first", first: true },
            { id: missed, event: "e", data: "missed" },
            { id: next, event: "e", data: "next" },
        ]);
    });

    it("tells its followers to reload, says so, and goes on, when the events its subscription missed are no longer kept", async () => {
        const { transport, received } = await transportOf(1);
        const first = await transport.publish("lost", "e", "first");
        await until("the first event", () => received("lost").length === 1);
        await admin.incrBy("vshs:channel:lost:id", 2);
        const errors = captureConsoleErrors();
        try {
            const next = await transport.publish("lost", "e", "next");
            await until("the next event", () => received("lost").length === 3);
            assert.equal(next, first + 3);
            assert.deepEqual(received("lost").slice(1), [
                { lost: true, lastId: first + 2 },
                { id: next, event: "e", data: "next" },
            ]);
            assert.deepEqual(errors.lines, [
                `vshs: channel "lost": events ${first + 1} to ${first + 2} were missed here (the subscription to Redis was away) and are no longer kept: followers here are told to reload (vshs-reset)`,
            ]);
        } finally {
            errors.restore();
        }
    });

    it("subscribes again after losing its connection, saying so once, and misses nothing published meanwhile", async () => {
        const { transport, received } = await transportOf();
        await transport.publish("again", "e", "0");
        await until("the first event", () => received("again").length === 1);
        const errors = captureConsoleErrors();
        try {
            assert.ok(Number(await admin.sendCommand(["CLIENT", "KILL", "TYPE", "pubsub"])) >= 1);
            await transport.publish("again", "e", "1"); // the subscription may be down right now: the history has it
            await until("the reconnection", () => errors.lines.some((line) => line.endsWith(" is back")));
            let n = 2;
            await until("an event after the reconnection", async () => (await transport.publish("again", "e", String(n++)), received("again").length >= 3), 5000);
            await until("every event", () => received("again").length === n);
            assert.deepEqual((received("again") as ChannelMessage[]).map((message) => message.data), Array.from({ length: n }, (_, each) => String(each)));
            assert.equal(errors.lines.length, 2, errors.lines.join("\n"));
            assert.match(errors.lines[0]!, new RegExp(`^vshs: lost the subscriber connection to Redis at ${redis.url} \\(.+\\); reconnecting$`));
            assert.equal(errors.lines[1], `vshs: the subscriber connection to Redis at ${redis.url} is back`);
        } finally {
            errors.restore();
        }
    });

    it("rejects connect() at once, naming the URL (not its password), when Redis cannot be reached or refuses", async () => {
        const closed = await freePort();
        const started = Date.now();
        await assert.rejects(RedisTransport.connect(`redis://127.0.0.1:${closed}`, { history: 1, channelsKept: 1, redisTimeout: 0, deliver: () => false }), {
            name: "StartupError",
            message: `Cannot reach Redis at redis://127.0.0.1:${closed}: connect ECONNREFUSED 127.0.0.1:${closed}`,
        });
        assert.ok(Date.now() - started < 2000, "no reconnection loop at startup");
        await assert.rejects(RedisTransport.connect(`redis://someone:secret@127.0.0.1:${redis.port}`, { history: 1, channelsKept: 1, redisTimeout: 0, deliver: () => false }), {
            name: "StartupError",
            message: /^Redis at redis:\/\/someone:\*\*\*@127\.0\.0\.1:\d+ refused the connection: WRONGPASS/,
        });
        await assert.rejects(RedisTransport.connect("localhost:6379", { history: 1, channelsKept: 1, redisTimeout: 0, deliver: () => false }), { name: "StartupError", message: /^Cannot use the Redis URL localhost:6379: / });
    });

    it("keeps in Redis nothing for channels only read, and only the channelsKept most recently published to", async () => {
        const { transport, received } = await transportOf(5, 10);
        const keysBefore = await admin.dbSize();
        for (let n = 0; n < 300; n++) assert.ok("tooOld" in (await transport.replay(`read-${n}-${Math.random()}`, 1_700_000_000_000_000)));
        assert.equal(await admin.dbSize(), keysBefore, "reading a channel writes nothing");
        const first = await transport.publish("first", "e", "1");
        for (let n = 0; n < 30; n++) await transport.publish(`published-${n}`, "e", String(n));
        assert.equal(await admin.zCard("vshs:channels"), 10);
        assert.deepEqual(await admin.keys("vshs:channel:first:*"), [], "the channel published to longest ago is let go of");
        assert.equal((await admin.keys("vshs:channel:*")).length, 20, "an id and a history for each channel kept");
        const gone = await transport.replay("first", first - 1);
        assert.ok("tooOld" in gone, "a client holding one of its ids is told to reload");
        // It numbers on from the clock, above its old ids; its followers here get the event, with no word of lost events.
        const errors = captureConsoleErrors();
        try {
            const again = await transport.publish("first", "e", "again");
            assert.ok(again > first && again > gone.latestId);
            await until("the event after the restart", () => received("first").length === 2);
            assert.deepEqual(received("first")[1], { id: again, event: "e", data: "again", first: true });
            assert.deepEqual(errors.lines, []);
        } finally {
            errors.restore();
        }
    });

    it("remembers ids in this process only for channels followed here, and for at most channelsKept of them", async () => {
        const [notFollowing, following] = await Promise.all([transportOf(5, 20, () => false), transportOf(5, 20, () => true)]);
        for (let n = 0; n < 100; n++) await notFollowing.transport.publish(`room-${n}-${Math.random()}`, "e", String(n));
        await until("every event in both processes", () => notFollowing.count() === 100 && following.count() === 100);
        assert.equal(notFollowing.transport.keptChannels(), 0);
        assert.equal(following.transport.keptChannels(), 20);
    });

    it("keeps nothing for channels followed here and then left, however many", async () => {
        const { transport, received } = await transportOf(5, 10_000);
        await transport.publish("left-0", "e", "1"); // one with a counter, the others without
        await until("the event", () => received("left-0").length === 1);
        for (let n = 0; n < 500; n++) transport.followed(`left-${n}`);
        for (let n = 0; n < 250; n++) transport.unfollowed(`left-${n}`);
        await until("the reads of the channels still followed", () => transport.keptChannels() === 250);
        for (let n = 250; n < 500; n++) transport.unfollowed(`left-${n}`);
        assert.equal(transport.keptChannels(), 0);
        await new Promise((resolve) => setTimeout(resolve, 100)); // reads still in flight keep nothing either
        assert.equal(transport.keptChannels(), 0);
    });

    it("lets the process end once the server that used it is closed", async () => {
        const [command, args] = scriptCommand(path.join(fixturesDir, "redis-exits.mjs"), [redis.url]);
        const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], timeout: 10_000 });
        let output = "";
        child.stdout.on("data", (chunk) => (output += chunk));
        child.stderr.on("data", (chunk) => (output += chunk));
        const code = await new Promise((resolve) => child.on("close", (exit, signal) => resolve(exit ?? signal)));
        assert.equal(code, 0, output);
        assert.match(output, /^\d{16}\n$/);
    });
});

/** POSTs `body` as JSON; resolves with the id of the event published. */
async function publish(url: string, body: unknown): Promise<string> {
    const response = await fetch(url, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } });
    assert.equal(response.status, 200);
    return ((await response.json()) as { id: string }).id;
}

describe("channels through Redis between two vshs processes", { skip }, () => {
    const history = 50;
    let redis: RedisServer;
    let servers: RunningCli[] = [];
    const routes = path.join(fixturesDir, "channel-routes");
    before(async () => {
        redis = await startRedis();
        // One learns the URL from REDIS_URL, the other from --redis.
        servers = await Promise.all([
            startCli([routes, "--port", "0", "--quiet", "--channel-history", String(history)], { env: { REDIS_URL: redis.url } }),
            startCli([routes, "--port", "0", "--quiet", "--channel-history", String(history), "--redis", redis.url]),
        ]);
    });
    after(async () => {
        for (const server of servers) server.signal("SIGTERM");
        await Promise.all(servers.map((server) => server.exited));
        await redis?.stop();
    });

    /** Event streams on each server, each following the channel (an event published now reaches them all). */
    async function followOnEach() {
        const streams = servers.map((server) => openEventStream(`${server.url}/chat`));
        await Promise.all(streams.map((stream) => stream.opened));
        // Opened is not yet following: publish until every stream has seen an event, then count from a last one.
        for (let n = 0; !streams.every((stream) => stream.events.length > 0); n++) {
            await publish(`${servers[n % 2]!.url}/chat`, { probe: n });
            await new Promise((resolve) => setTimeout(resolve, 10));
        }
        const marker = await publish(`${servers[0]!.url}/chat`, { ready: true });
        await until("the marker on every stream", () => streams.every((stream) => stream.events.some((event) => event.id === marker)));
        return streams.map((stream) => ({ stream, skip: stream.events.findIndex((event) => event.id === marker) + 1 }));
    }

    let published: string[] = [];

    it("delivers 200 events published concurrently on both servers to a stream on each, all, once, in id order", async () => {
        const followed = await followOnEach();
        published = await Promise.all(Array.from({ length: 200 }, (_, n) => publish(`${servers[n % 2]!.url}/chat`, { n })));
        const sorted = [...published].sort((a, b) => Number(a) - Number(b));
        assert.equal(Number(sorted[199]) - Number(sorted[0]), 199, "one sequence of ids for both servers");
        for (const { stream, skip: before } of followed) {
            const events = (await stream.waitFor(before + 200)).slice(before);
            assert.deepEqual(events.map((event) => event.id), sorted);
            assert.ok(events.every((event) => event.event === "message"));
            assert.deepEqual(events.map((event) => JSON.parse(event.data).n), sorted.map((id) => published.indexOf(id)));
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
        for (const { stream, skip: before } of followed) {
            assert.equal(stream.events.length, before + 200, "nothing twice");
            stream.close();
        }
    });

    it("replays after a Last-Event-ID on the other server, then goes on live", async () => {
        const sorted = [...published].sort((a, b) => Number(a) - Number(b));
        const stream = openEventStream(`${servers[1]!.url}/chat`, { "last-event-id": sorted[189]! });
        const replayed = await stream.waitFor(10);
        assert.deepEqual(replayed.map((event) => event.id), sorted.slice(190));
        const live = [await publish(`${servers[0]!.url}/chat`, { live: 0 }), await publish(`${servers[1]!.url}/chat`, { live: 1 })];
        const events = await stream.waitFor(12);
        stream.close();
        assert.deepEqual(events.map((event) => event.id), [...sorted.slice(190), ...live]);
        assert.deepEqual(events.slice(10).map((event) => JSON.parse(event.data)), [{ live: 0 }, { live: 1 }]);
    });

    it("reaches a WebSocket on one server with the events published on the other, as JSON frames, in id order", async () => {
        const socket = await openSocket(`${servers[1]!.url}/socket`);
        await new Promise((resolve) => setTimeout(resolve, 50)); // following
        const ids = [];
        for (let n = 0; n < 10; n++) ids.push(await publish(`${servers[n % 2]!.url}/chat`, { socket: n }));
        const frames = (await socket.waitFor(10)).map((frame) => JSON.parse(String(frame)));
        assert.deepEqual(frames.map((frame) => frame.id), ids);
        assert.deepEqual(frames.map((frame) => frame.data.socket), [...ids.keys()]);
        socket.ws.close();
    });

    it("sends vshs-reset with the latest id for a Last-Event-ID older than the history, then goes on live", async () => {
        const sorted = [...published].sort((a, b) => Number(a) - Number(b));
        const latest = await publish(`${servers[1]!.url}/chat`, { latest: true });
        const stream = openEventStream(`${servers[0]!.url}/chat`, { "last-event-id": sorted[200 - history]! });
        const [reset] = await stream.waitFor(1);
        assert.deepEqual(reset, { event: "vshs-reset", id: latest, data: JSON.stringify({ channel: "chat", lastEventId: sorted[200 - history] }) });
        const next = await publish(`${servers[1]!.url}/chat`, { after: "reset" });
        const [, event] = await stream.waitFor(2);
        stream.close();
        assert.equal(event!.id, next);
        assert.equal(Number(next), Number(latest) + 1);
    });
});
