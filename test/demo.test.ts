// The demo: POST /demo/{name} appends to messages.txt, GET /demo/{name} streams that name's messages.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { openEventStream } from "./helpers/events.ts";
import { runtime } from "./helpers/runtime.ts";

process.env["VSHS_DEMO_MESSAGES"] = path.join(await mkdtemp(path.join(tmpdir(), "vshs-demo-")), "messages.txt");
const { serveExamples } = await import("./helpers/server.ts");
const server = await serveExamples();

const post = (name: string, body: unknown) =>
    server.fetch(`/demo/${name}`, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } });

/**
 * What the process holds, read from Linux's /proc so that it means the same on every runtime: inotify
 * watches (what fs.watch uses; one per watched file, however many watchers share it) and child
 * processes. Node also counts its watchers and timers.
 */
function held(): { watches: number; watchers: number; processes: number; timers: number } {
    let watches = 0;
    for (const fd of readdirSync("/proc/self/fd")) {
        try {
            if (readlinkSync(`/proc/self/fd/${fd}`) !== "anon_inode:inotify") continue;
            watches += readFileSync(`/proc/self/fdinfo/${fd}`, "utf8").split("\n").filter((line) => line.startsWith("inotify wd:")).length;
        } catch {
            // closed while we looked
        }
    }
    let processes = 0;
    for (const thread of readdirSync("/proc/self/task")) {
        processes += readFileSync(`/proc/self/task/${thread}/children`, "utf8").trim().split(/\s+/).filter(Boolean).length;
    }
    const resources = runtime === "node" ? process.getActiveResourcesInfo() : [];
    const count = (kind: string) => resources.filter((resource) => resource === kind).length;
    return { watches, watchers: count("FSEventWrap"), processes, timers: count("Timeout") };
}

describe("the demo", () => {
    it("streams, as `message` events, what is posted under the same name", async () => {
        const stream = openEventStream(`${server.url}/demo/room-a`);
        await stream.opened;
        await sleep(50);
        assert.deepEqual(await (await post("room-a", { message: "hello" })).json(), { answer: "OK" });
        await post("room-b", { message: "for someone else" });
        await post("room-a", { message: "second" });
        const events = await stream.waitFor(2);
        stream.close();
        assert.deepEqual(events.map((event) => event.event), ["message", "message"]);
        const messages = events.map((event) => JSON.parse(event.data));
        assert.deepEqual(messages.map(({ name, message }) => ({ name, message })), [
            { name: "room-a", message: "hello" },
            { name: "room-a", message: "second" },
        ]);
        assert.ok(!Number.isNaN(Date.parse(messages[0].timestamp)));
    });

    it("sends the name's earlier messages to a new page", async () => {
        await post("room-c", { message: "before you came" });
        const stream = openEventStream(`${server.url}/demo/room-c`);
        const [event] = await stream.waitFor(1);
        stream.close();
        assert.equal(JSON.parse(event!.data).message, "before you came");
    });

    it("accepts the message as a form field too", async () => {
        const response = await server.fetch("/demo/room-d", { method: "POST", body: new URLSearchParams({ message: "from a form" }) });
        assert.equal(response.status, 200);
    });

    it("refuses the name foo, and a post without a message, with 400", async () => {
        const foo = await post("foo", { message: "x" });
        assert.equal(foo.status, 400);
        assert.equal(await foo.text(), 'Parameter name can\'t be equal to "foo".');
        assert.equal((await post("room-a", { nothing: true })).status, 400);
    });

    it("leaves no watcher, subprocess or timer behind once a page leaves", { skip: !existsSync("/proc/self/fdinfo") && "needs Linux's /proc" }, async () => {
        const before = held();
        const streams = [1, 2, 3].map(() => openEventStream(`${server.url}/demo/room-e`));
        await Promise.all(streams.map((stream) => stream.opened));
        await sleep(100);
        const open = held();
        assert.ok(open.watches > before.watches, "the messages file is watched");
        if (runtime === "node") assert.equal(open.watchers, before.watchers + 3, "one watcher per open page");
        assert.equal(open.processes, before.processes);
        for (const stream of streams) stream.close();
        const deadline = Date.now() + 1000;
        while (held().watches > before.watches && Date.now() < deadline) await sleep(10);
        const after = held();
        assert.deepEqual([after.watches, after.watchers], [before.watches, before.watchers]);
        assert.ok(after.timers <= before.timers);
    });
});
