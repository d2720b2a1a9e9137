import assert from "node:assert/strict";
import cluster, { type Worker } from "node:cluster";
import http from "node:http";
import path from "node:path";
import { after, describe, it } from "node:test";
import { relayChannels } from "../../src/channels/cluster.ts";
import { cliPath, startCli, type RunningCli } from "../helpers/cli.ts";
import { openEventStream } from "../helpers/events.ts";
import { openSocket } from "../helpers/web-socket.ts";
import { runtime } from "../helpers/runtime.ts";
import { fixturesDir } from "../helpers/server.ts";

/** A POST on a connection of its own, so that the cluster spreads them over the workers. */
function post(url: string, body: unknown): Promise<{ id: string; pid: number }> {
    return new Promise((resolve, reject) => {
        const request = http.request(url, { method: "POST", agent: false, headers: { "content-type": "application/json" } }, (response) => {
            let text = "";
            response.setEncoding("utf8");
            response.on("data", (chunk) => (text += chunk));
            response.on("end", () => resolve(JSON.parse(text)));
        });
        request.on("error", reject);
        request.end(JSON.stringify(body));
    });
}

/** Event streams opened until they are held by `workers` different processes. */
async function streamsOnEveryWorker(url: string, workers: number) {
    const streams: ReturnType<typeof openEventStream>[] = [];
    const pids = new Set<string>();
    for (let tries = 0; pids.size < workers && tries < 30; tries++) {
        const stream = openEventStream(url);
        const [hello] = await stream.waitFor(1);
        assert.equal(hello!.event, "worker");
        if (pids.has(hello!.data)) {
            stream.close();
            continue;
        }
        pids.add(hello!.data);
        streams.push(stream);
    }
    assert.equal(pids.size, workers, "the streams reached every worker");
    return streams;
}

// On Deno, the CLI command of the tests adds --unstable-net, which --workers needs there.
describe("channels across vshs --workers", () => {
    let cli: RunningCli;
    after(() => cli?.signal("SIGTERM"));

    it("delivers every event published on any worker to streams on every worker, once and in order", async () => {
        cli = await startCli([path.join(fixturesDir, "channels"), "--port", "0", "--workers", "2", "--quiet"]);
        const streams = await streamsOnEveryWorker(cli.url + "/feed", 2);
        const published = await Promise.all(Array.from({ length: 100 }, (_, n) => post(cli.url + "/feed", { n })));
        assert.equal(new Set(published.map((each) => each.pid)).size, 2, "both workers published");
        const expected = published.map((each) => each.id).sort((a, b) => Number(a) - Number(b));
        for (const stream of streams) {
            const events = (await stream.waitFor(101)).slice(1);
            assert.deepEqual(events.map((event) => event.id), expected);
            stream.close();
        }
    });

    it("reaches WebSockets on every worker too, as JSON frames, once and in order", async () => {
        const sockets = [];
        const pids = new Set<number>();
        for (let tries = 0; pids.size < 2 && tries < 30; tries++) {
            const socket = await openSocket(cli.url + "/socket");
            const { worker } = JSON.parse(String((await socket.waitFor(1))[0])) as { worker: number };
            if (pids.has(worker)) socket.ws.close();
            else (pids.add(worker), sockets.push(socket));
        }
        assert.equal(pids.size, 2, "a socket on each worker");
        await new Promise((resolve) => setTimeout(resolve, 50));
        const published = await Promise.all(Array.from({ length: 20 }, (_, n) => post(cli.url + "/feed", { socket: n })));
        const expected = published.map((each) => each.id).sort((a, b) => Number(a) - Number(b));
        for (const socket of sockets) {
            const frames = (await socket.waitFor(21)).slice(1).map((frame) => JSON.parse(String(frame)));
            assert.deepEqual(frames.map((frame) => frame.id), expected);
            socket.ws.close();
        }
    });

    it("replays from the primary's history on whichever worker the client reconnects to", async () => {
        const ids: string[] = [];
        for (let n = 0; n < 5; n++) ids.push((await post(cli.url + "/feed", { again: n })).id);
        for (let attempt = 0; attempt < 4; attempt++) {
            const stream = openEventStream(cli.url + "/feed", { "last-event-id": ids[1]! });
            const events = (await stream.waitFor(4)).slice(1);
            stream.close();
            assert.deepEqual(events.map((event) => event.id), ids.slice(2));
        }
    });
});

describe("vshs --workers when its primary dies", () => {
    it("ends every worker too, so that whatever supervises vshs starts it again whole", async () => {
        const cli = await startCli([path.join(fixturesDir, "channels"), "--port", "0", "--workers", "2", "--quiet"]);
        const streams = await streamsOnEveryWorker(cli.url + "/feed", 2);
        const workers = streams.map((stream) => Number(stream.events[0]!.data));
        cli.signal("SIGKILL");
        const alive = (pid: number) => {
            try {
                return process.kill(pid, 0);
            } catch {
                return false;
            }
        };
        const deadline = Date.now() + 10_000;
        while (workers.some(alive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
        streams.forEach((stream) => stream.close());
        assert.deepEqual(workers.filter(alive), [], "no worker outlives its primary");
    });
});

/** Resolves with the URL a vshs worker serves once it says it listens. */
function listening(worker: Worker): Promise<string> {
    return new Promise((resolve, reject) => {
        worker.on("message", (message: { vshs?: string; url?: string; message?: string }) => {
            if (message?.vshs === "listening") resolve(message.url!);
            if (message?.vshs === "failed") reject(new Error(message.message));
        });
        worker.once("exit", (code) => reject(new Error(`the worker exited (${code}) before listening`)));
    });
}

// This process is the primary here (relayChannels from the source, as `vshs --workers` calls it), so
// that what it keeps can be counted; its one worker is a real vshs serving the rooms routes.
// On Deno, a worker forked by `deno test` lacks --unstable-net, which a vshs worker needs there.
describe("the cluster primary's channels", { skip: runtime === "deno" && "deno test cannot give its forked workers --unstable-net" }, () => {
    let worker: Worker | undefined;
    after(() => worker?.process.kill("SIGKILL"));

    it("keeps nothing for channels only read, and at most channelsKept channels", async () => {
        const kept = relayChannels(5, 50);
        cluster.setupPrimary({ exec: cliPath, args: [path.resolve(import.meta.dirname, "../robust/fixtures/rooms/routes"), "--port", "0", "--host", "127.0.0.1", "--quiet"] });
        worker = cluster.fork({ VSHS_CHANNELS: "cluster" });
        const url = await listening(worker);
        for (let batch = 0; batch < 10; batch++) {
            const streams = Array.from({ length: 30 }, (_, n) => openEventStream(`${url}/rooms/read-${batch}-${n}-${Math.random()}`, { "last-event-id": "1700000000000000" }));
            for (const stream of streams) assert.equal((await stream.waitFor(1))[0]!.event, "vshs-reset");
            streams.forEach((stream) => stream.close());
        }
        assert.equal(kept.size, 0, "no channel kept for a name nobody published to");
        const first = await post(`${url}/rooms/first`, { n: 0 });
        for (let n = 0; n < 200; n++) await post(`${url}/rooms/published-${n}`, { n });
        assert.equal(kept.size, 50);
        // The channel published to longest ago is let go of: a client holding one of its ids is told to reload.
        const stream = openEventStream(`${url}/rooms/first`, { "last-event-id": String(Number(first.id) - 1) });
        const [reset] = await stream.waitFor(1);
        stream.close();
        assert.equal(reset!.event, "vshs-reset");
        assert.ok(Number((await post(`${url}/rooms/first`, { n: 1 })).id) > Number(first.id), "ids go on increasing");
    });
});
