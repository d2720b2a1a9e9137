/**
 * Unbounded per-name state: a name a client chooses (a room in the URL) must not make the server keep
 * something for ever. A real server with the rooms pattern, `channel(route.vars.room).stream()`:
 * thousands of event streams on random rooms, each with a Last-Event-ID, opened and dropped, must
 * leave nothing behind; publishing to ever more rooms must keep at most `defaultChannelsKept` of them.
 * Counted through the channels' own count of what they keep, not through the memory, which only
 * moves with garbage collection. Sizes shrink with ROBUST_BOUNDED=1 (see scale.ts).
 */
import assert from "node:assert/strict";
import http from "node:http";
import path from "node:path";
import { test } from "node:test";
import { defaultChannelsKept } from "../../src/channels/history.ts";
import { EventStreamParser } from "../../dist/testing/parse-events.js";
import { serve } from "../helpers/server.ts";
import { report, scaled } from "./scale.ts";

const server = await serve({ routes: path.join(import.meta.dirname, "fixtures/rooms/routes") });
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const concurrency = 64;

interface Kept {
    /** Channels with a stream following them in this process. */
    followed: number;
    /** Channels whose ids and events are kept. */
    kept: number;
}

/** What the channels of this process keep, read from the hub every copy of vshs shares. */
function keptChannels(): Promise<Kept> {
    const hub = (globalThis as Record<symbol, Record<symbol, () => Promise<Kept>>>)[Symbol.for("vshs.channels")]!;
    return hub[Symbol.for("vshs.channels.kept")]!();
}

/** Opens an event stream on `room` with a Last-Event-ID, reads its first event, and drops the connection. */
function streamOnce(room: string): Promise<string> {
    return new Promise((resolve, reject) => {
        const request = http.get(`${server.url}/rooms/${room}`, { agent: false, headers: { accept: "text/event-stream", "last-event-id": "1700000000000000" }, timeout: 10_000 });
        const parser = new EventStreamParser();
        request.on("response", (response) => {
            response.setEncoding("utf8");
            response.on("data", (text: string) => {
                const [first] = parser.push(text);
                if (first === undefined) return;
                request.destroy();
                resolve(first.event);
            });
        });
        request.on("timeout", () => request.destroy(new Error(`GET /rooms/${room}: no event within 10 s`)));
        request.on("error", reject);
    });
}

function publish(room: string): Promise<number> {
    return new Promise((resolve, reject) => {
        const request = http.request(`${server.url}/rooms/${room}`, { method: "POST", agent, headers: { "content-type": "application/json" }, timeout: 10_000 }, (response) => {
            response.resume();
            response.on("end", () => resolve(response.statusCode ?? 0));
        });
        request.on("timeout", () => request.destroy(new Error(`POST /rooms/${room}: no answer within 10 s`)));
        request.on("error", reject);
        request.end(JSON.stringify({ room }));
    });
}

/** Runs `task(0…count-1)`, `concurrency` at a time. */
async function inParallel<T>(count: number, task: (index: number) => Promise<T>): Promise<T[]> {
    const results: T[] = [];
    let next = 0;
    const runner = async () => {
        while (next < count) {
            const index = next++;
            results[index] = await task(index);
        }
    };
    await Promise.all(Array.from({ length: concurrency }, runner));
    return results;
}

async function until(what: string, condition: (kept: Kept) => boolean, ms = 10_000): Promise<Kept> {
    const deadline = performance.now() + ms;
    for (;;) {
        const kept = await keptChannels();
        if (condition(kept)) return kept;
        if (performance.now() > deadline) assert.fail(`${what}: not so within ${ms} ms; kept: ${JSON.stringify(kept)}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
    }
}

const random = () => Math.random().toString(36).slice(2);

test("event streams with a Last-Event-ID on random rooms, opened and dropped, leave no channel behind", { timeout: 120_000 }, async () => {
    const streams = scaled(8000, 1000);
    const started = performance.now();
    const events = await inParallel(streams, (n) => streamOnce(`read-${n}-${random()}`));
    assert.ok(events.every((event) => event === "vshs-reset"), "each was told to reload: its id is from another run");
    const kept = await until("every stream's follower gone", (each) => each.followed === 0);
    report("per-name state: streams on random rooms", { streams, "channels followed": kept.followed, "channels kept": kept.kept, seconds: (performance.now() - started) / 1000 });
    assert.deepEqual(kept, { followed: 0, kept: 0 });
});

test("publishing to ever more rooms keeps the rooms published to most recently, up to the bound", { timeout: 240_000 }, async () => {
    const rooms = defaultChannelsKept + scaled(15_000, 500);
    const started = performance.now();
    const statuses = await inParallel(rooms, (n) => publish(`published-${n}-${random()}`));
    assert.ok(statuses.every((status) => status === 200), "every publish answered 200");
    const kept = await keptChannels();
    report("per-name state: publishing to random rooms", { rooms, bound: defaultChannelsKept, "channels kept": kept.kept, seconds: (performance.now() - started) / 1000 });
    assert.equal(kept.kept, defaultChannelsKept);
    agent.destroy();
});
