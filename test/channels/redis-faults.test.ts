// Channels through Redis under the faults of a fault-injection trial: a Redis that hangs, restarts or
// drops a subscriber, a process frozen meanwhile, a publishing machine whose clock is behind. Each
// test failed before its fix; each is bounded in time (a fault either shows within seconds or not at all).
import assert from "node:assert/strict";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { createClient } from "@redis/client";
import { runCli, startCli, type RunningCli } from "../helpers/cli.ts";
import { openEventStream } from "../helpers/events.ts";
import { skipWithoutRedis, startRedis, until, type RedisServer } from "../helpers/redis.ts";
import { fixturesDir } from "../helpers/server.ts";

const routes = path.join(fixturesDir, "fault-routes");
type Stream = ReturnType<typeof openEventStream>;

/** POSTs `body` to the feed `name`; the status, and the id published or the error's text. */
async function post(server: RunningCli, name: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; id?: string; text: string }> {
    const response = await fetch(`${server.url}/feed/${name}`, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json", ...headers }, signal: AbortSignal.timeout(20_000) });
    const text = await response.text();
    return { status: response.status, text, ...(response.status === 200 ? { id: (JSON.parse(text) as { id: string }).id } : {}) };
}

/** Every id the stream got, events and resets, in order. */
const idsOf = (stream: Stream) => stream.events.map((event) => Number(event.id));
const resetsOf = (stream: Stream) => stream.events.filter((event) => event.event === "vshs-reset");

/**
 * What a client is promised: each event it was not told to reload for (ids after its last reset)
 * arrives once, in order. Waits for them (a reset may come meanwhile), then checks nothing came twice
 * or out of order.
 */
async function assertWhole(stream: Stream, published: number[], ms = 10_000): Promise<void> {
    const lastReset = () => Math.max(-Infinity, ...resetsOf(stream).map((event) => Number(event.id)));
    const owed = () => published.filter((id) => id > lastReset()).sort((a, b) => a - b);
    await until(`the events of ${published} after the last reset`, () => owed().every((id) => idsOf(stream).includes(id)), ms);
    const got = stream.events.filter((event) => event.event !== "vshs-reset").map((event) => Number(event.id));
    assert.deepEqual(
        got.filter((id) => id > lastReset() && id >= Math.min(...published)),
        owed(),
        "once each, in order",
    );
}

describe("channels through Redis under faults", { skip: skipWithoutRedis }, () => {
    let redis: RedisServer;
    let servers: RunningCli[] = [];
    let streams: Stream[] = [];
    const serve = async (args: string[] = [], env: NodeJS.ProcessEnv = {}) => {
        const server = await startCli([routes, "--port", "0", "--host", "127.0.0.1", "--quiet", "--redis", redis.url, ...args], { env });
        servers.push(server);
        return server;
    };
    const follow = async (server: RunningCli, name: string, headers: Record<string, string> = {}) => {
        const stream = openEventStream(`${server.url}/feed/${name}`, headers);
        streams.push(stream);
        await stream.opened;
        return stream;
    };
    /** Publishes until every stream has an event: from then on each follows the channel. */
    const warmUp = async (server: RunningCli, name: string, followers: Stream[]) => {
        for (let n = 0; !followers.every((stream) => stream.events.length > 0); n++) {
            await post(server, name, { warmUp: n });
            await new Promise((resolve) => setTimeout(resolve, 20));
        }
    };
    const killSubscribers = async () => {
        const admin = await createClient({ url: redis.url }).connect();
        await admin.sendCommand(["CLIENT", "KILL", "TYPE", "pubsub"]);
        await admin.close();
    };

    beforeEach(async () => {
        redis = await startRedis();
    });
    afterEach(async () => {
        for (const stream of streams.splice(0)) stream.close();
        for (const server of servers) {
            try {
                server.signal("SIGCONT"); // one frozen by a failed test
            } catch {} // it has ended
            server.child.kill("SIGKILL");
        }
        await Promise.all(servers.map((server) => server.exited));
        servers = [];
        await redis.stop();
    });

    it("sends a vshs-reset whose id is never ahead of the events that follow it, though the publishing machine's clock is a second behind", async () => {
        const [behind, follower] = await Promise.all([serve([], { VSHS_TEST_CLOCK_SKEW: "-1000" }), serve()]);
        for (let round = 0; round < 8; round++) {
            const name = `fresh-${round}`;
            // A client coming back with an id from before the channel's first event, as the first posts go out.
            const [stream, answers] = await Promise.all([follow(follower, name, { "last-event-id": "1" }), Promise.all(Array.from({ length: 10 }, (_, n) => post(behind, name, { n })))]);
            const published = answers.map((answer) => Number(answer.id));
            await until("the reset", () => resetsOf(stream).length === 1);
            const resetId = Number(resetsOf(stream)[0]!.id);
            assert.ok(published.includes(resetId) || resetId < Math.min(...published), `round ${round}: the reset's id ${resetId} is ahead of the events ${published}`);
            await assertWhole(stream, published);
        }
    });

    it("tells the followers of a process frozen while Redis dropped its subscription to reload, and then misses nothing", async () => {
        const [publisher, frozen] = await Promise.all([serve(["--channel-history", "20"]), serve(["--channel-history", "20"])]);
        const followers = await Promise.all([1, 2, 3].map(() => follow(frozen, "drop")));
        await warmUp(publisher, "drop", followers);
        frozen.signal("SIGSTOP");
        await killSubscribers();
        await publisher.waitForOutput(/subscriber connection to Redis at \S+ is back/);
        const published: number[] = [];
        for (let n = 0; n < 40; n++) published.push(Number((await post(publisher, "drop", { n })).id));
        frozen.signal("SIGCONT");
        for (const stream of followers) {
            await until("a reset for the 20 events no longer kept", () => resetsOf(stream).length > 0, 10_000);
            assert.equal(Number(resetsOf(stream)[0]!.id), published[19], "the reset names the last event lost");
            await assertWhole(stream, published);
        }
        assert.match(frozen.stderr(), /events \d+ to \d+ were missed here .* followers here are told to reload/);
    });

    it("brings followers the events published while their subscription was away, without waiting for another event", async () => {
        const [publisher, follower] = await Promise.all([serve(), serve()]);
        const followers = await Promise.all([1, 2, 3].map(() => follow(follower, "quiet")));
        await warmUp(publisher, "quiet", followers);
        // Frozen, so that its subscription cannot come back before the events are published.
        follower.signal("SIGSTOP");
        await killSubscribers();
        const published: number[] = [];
        for (let n = 0; n < 3; n++) published.push(Number((await post(publisher, "quiet", { n })).id));
        follower.signal("SIGCONT");
        for (const stream of followers) await assertWhole(stream, published);
        for (const stream of followers) assert.deepEqual(resetsOf(stream), [], "nothing was lost: no reset");
    });

    it("does the same for followers that have had no event yet: what they missed reaches them, or a reset", async () => {
        const [publisher, follower] = await Promise.all([serve(), serve()]);
        await post(publisher, "cold", { before: "anyone follows" });
        const followers = await Promise.all([1, 2, 3].map(() => follow(follower, "cold")));
        follower.signal("SIGSTOP");
        await killSubscribers();
        const published: number[] = [];
        for (let n = 0; n < 3; n++) published.push(Number((await post(publisher, "cold", { n })).id));
        follower.signal("SIGCONT");
        for (const stream of followers) await assertWhole(stream, published);
    });

    it("answers 503 within --redis-timeout while Redis hangs, saying the event may have been published; a retry with the same key publishes it once", async () => {
        const server = await serve(["--redis-timeout", "300"]);
        const [stream] = await Promise.all([follow(server, "hung")]);
        await warmUp(server, "hung", [stream]);
        redis.pause();
        try {
            const key = { "idempotency-key": "order-42" };
            const [first, retry] = [await post(server, "hung", { order: 42 }, key), await post(server, "hung", { order: 42 }, key)];
            for (const answer of [first, retry]) {
                assert.equal(answer.status, 503);
                assert.match(answer.text, /may or may not have been published .* retry with the same publish key/);
            }
        } finally {
            redis.resume();
        }
        // Redis carries out both when it wakes: the key lets only the first publish.
        const again = await post(server, "hung", { order: 42 }, { "idempotency-key": "order-42" });
        assert.equal(again.status, 200);
        await until("the event", () => stream.events.some((event) => event.id === again.id));
        await new Promise((resolve) => setTimeout(resolve, 200));
        assert.equal(stream.events.filter((event) => JSON.parse(event.data).order === 42).length, 1, "published once");
        // The log has the cause (each runtime prints the error its own way).
        assert.match(server.stderr(), /POST \/feed\/hung failed:(.|\n)*PublishError(.|\n)*no answer within 300 ms/);
    });

    it("answers 503 saying the event was not published while Redis is gone", async () => {
        const server = await serve();
        await redis.stop();
        await server.waitForOutput(/lost the command connection to Redis/); // before it notices, a command sent may be lost in the wire: "may have"
        const answer = await post(server, "gone", { n: 1 });
        assert.equal(answer.status, 503);
        assert.equal(answer.text, 'The event for channel "gone" was not published (the channels\' server is unreachable): try again');
    });

    it("refuses to start a server whose channel settings differ from those of the servers already using the Redis", async () => {
        await serve(["--channel-history", "0"]);
        const second = await runCli([routes, "--port", "0", "--quiet", "--redis", redis.url, "--channel-history", "100"]);
        assert.notEqual(second.code, 0);
        assert.match(second.stderr, /The vshs servers using Redis at \S+ keep channels with history 0, kept for 10000 channels; this one was started with history 100, kept for 10000 channels: give every server the same --channel-history and --channels-kept/);
    });

    it("goes on with the next events after Redis restarts empty, with no reset and no word of lost events", async () => {
        const [publisher, follower] = await Promise.all([serve(), serve()]);
        const stream = await follow(follower, "restart");
        await warmUp(publisher, "restart", [stream]);
        await redis.restart();
        await Promise.all(servers.map((server) => server.waitForOutput(/subscriber connection to Redis at \S+ is back/, 10_000)));
        let answer = await post(publisher, "restart", { after: "restart" });
        for (let tries = 0; answer.status !== 200 && tries < 50; tries++) {
            await new Promise((resolve) => setTimeout(resolve, 100)); // the command connection may come back after the subscriber
            answer = await post(publisher, "restart", { after: "restart" });
        }
        await until("the event after the restart", () => stream.events.some((event) => event.id === answer.id));
        assert.deepEqual(resetsOf(stream), []);
        assert.doesNotMatch(follower.stderr(), /missed|reached neither/);
    });
});
