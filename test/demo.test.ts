// The demo: POST /demo/{name} appends to messages.txt, GET /demo/{name} streams that name's messages.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { openEventStream } from "./helpers/events.ts";
import { runtime } from "./helpers/runtime.ts";

// The messages file, and the older one it is moved to once it passes its bound, in a folder of their own.
const messagesFolder = await mkdtemp(path.join(tmpdir(), "vshs-demo-"));
process.env["VSHS_DEMO_MESSAGES"] = path.join(messagesFolder, "messages.txt");
const { serveExamples } = await import("./helpers/server.ts");
const server = await serveExamples();

/** What examples/routes/demo/{name}/messages.ts promises: messages of at most 1000 characters, files of at most 256 KiB and a line. */
const maxMessageLength = 1000;
const maxFileBytes = 256 * 1024;

const post = (name: string, body: unknown) =>
    server.fetch(`/demo/${name}`, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } });

/** The messages a new page of `room` is sent, once `count` have come (or two seconds have passed), and any extra that follow soon after. */
async function history(room: string, count: number): Promise<string[]> {
    const stream = openEventStream(`${server.url}/demo/${room}`);
    await Promise.race([stream.waitFor(count), sleep(2000)]);
    await sleep(100); // a message sent twice would arrive now
    stream.close();
    return stream.events.map((event) => JSON.parse(event.data).message);
}

/** Every line of every file in the messages folder (the older file first, as a new page is sent them), each of which must be one whole message. */
function linesOnDisk(): { lines: string[]; fileSizes: number[] } {
    const names = readdirSync(messagesFolder).sort((a, b) => Number(b.endsWith(".old")) - Number(a.endsWith(".old")));
    const files = names.map((name) => path.join(messagesFolder, name));
    const lines = files.flatMap((file) => readFileSync(file, "utf8").split("\n").filter(Boolean));
    for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), `a corrupt line on disk: ${line.slice(0, 80)}…`);
    return { lines, fileSizes: files.map((file) => statSync(file).size) };
}

/** A message of `length` characters that says which one it is, so that a message cut or mixed with another shows. */
const numbered = (label: string, length: number, filler = "x") => `${label}:`.padEnd(length, filler);

/** How a failure names a message, rather than printing all 700 KB of it. */
const label = (message: string) => `${message.slice(0, message.indexOf(":"))} (${message.length} characters)`;

/** `actual` holds the same messages as `expected`, each once and whole. */
function assertSameMessages(actual: string[], expected: string[], what: string): void {
    assert.deepEqual(actual.map(label).sort(), expected.map(label).sort(), what);
    const sent = new Set(expected);
    assert.ok(actual.every((message) => sent.has(message)), `${what}: a message changed on the way`);
}

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

    it("refuses a message longer than 1000 characters with 400, and keeps nothing of it", async () => {
        const response = await post("room-long", { message: "é".repeat(maxMessageLength + 1) });
        assert.equal(response.status, 400);
        assert.equal(await response.text(), `"message" is longer than ${maxMessageLength} characters`);
        assert.equal((await post("room-long", { message: "é".repeat(maxMessageLength) })).status, 200, "1000 characters of two bytes each are fine");
        assert.deepEqual(await history("room-long", 1), ["é".repeat(maxMessageLength)]);
    });

    // Issue 23: 15 concurrent posts of about 1 MiB each were all answered OK, and 9 of the 15 lines
    // were written in pieces mixed with each other, then skipped by every reader.
    it("keeps each of many concurrent posts whole and once, or refuses it with 400", async () => {
        const large = Array.from({ length: 15 }, (_, i) => numbered(`large ${i}`, 700_000));
        const atTheLimit = Array.from({ length: 30 }, (_, i) => numbered(`full ${i}`, maxMessageLength, "ü"));
        const answers = await Promise.all([...large, ...atTheLimit].map((message) => post("room-busy", { message })));
        const accepted: string[] = [];
        for (const [i, response] of answers.entries()) {
            const message = [...large, ...atTheLimit][i]!;
            if (response.status === 200) accepted.push(message);
            else assert.deepEqual([response.status, await response.text()], [400, `"message" is longer than ${maxMessageLength} characters`]);
        }
        assert.ok(atTheLimit.every((message) => accepted.includes(message)), "every message of 1000 characters is accepted");
        assertSameMessages(await history("room-busy", accepted.length), accepted, "a new page gets every accepted message, whole, once");
        linesOnDisk();
    });

    it("keeps its file under 256 KiB: the older messages move to a second file, and a page that follows misses nothing", async () => {
        const follower = openEventStream(`${server.url}/demo/room-many`);
        await follower.opened;
        await sleep(50);
        const messages = Array.from({ length: 600 }, (_, i) => numbered(`many ${i}`, maxMessageLength)); // 600 KB in all
        for (let i = 0; i < messages.length; i += 20) {
            const answers = await Promise.all(messages.slice(i, i + 20).map((message) => post("room-many", { message })));
            assert.deepEqual(new Set(answers.map((answer) => answer.status)), new Set([200]));
        }
        await Promise.race([follower.waitFor(messages.length), sleep(5000)]);
        await sleep(100);
        follower.close();
        const followed = follower.events.map((event) => JSON.parse(event.data).message);
        assertSameMessages(followed, messages, "a page that follows gets every message once");

        const { lines, fileSizes } = linesOnDisk();
        const maxLineBytes = 2 * maxMessageLength + 200;
        assert.ok(fileSizes.every((size) => size <= maxFileBytes + maxLineBytes), `each file at most 256 KiB and a line: ${fileSizes.join(", ")}`);
        assert.ok(lines.length < messages.length, "the oldest messages are let go");

        const last = numbered("the last one", 10);
        assert.equal((await post("room-many", { message: last })).status, 200);
        const onDisk = linesOnDisk().lines.map((line) => JSON.parse(line)).filter((kept) => kept.name === "room-many").map((kept) => kept.message as string);
        const kept = await history("room-many", onDisk.length);
        assert.deepEqual(kept.map(label), onDisk.map(label), "a new page gets what is kept, in order");
        assert.equal(kept.at(-1), last);
        assert.ok(kept.length >= Math.floor(maxFileBytes / (maxMessageLength + 100)), `at least 256 KiB of the latest messages kept: ${kept.length}`);
        assert.ok(messages.slice(-20).every((message) => kept.includes(message)), "the latest messages are kept");
    });

    it("leaves no watcher, subprocess or timer behind once a page leaves", { skip: !existsSync("/proc/self/fdinfo") && "needs Linux's /proc" }, async () => {
        // Nothing here waits a fixed time: each step polls until the server has done what it must (or a
        // deadline far beyond what a loaded machine needs), so a slow run is slow, not red.
        const settle = async (done: () => boolean) => {
            for (const deadline = Date.now() + 10_000; !done() && Date.now() < deadline; ) await sleep(10);
        };
        // The pages of the tests above may still be closing on the server's side.
        await settle(() => held().watches === 0 && held().watchers === 0);
        const before = held();
        const streams = [1, 2, 3].map(() => openEventStream(`${server.url}/demo/room-e`));
        await Promise.all(streams.map((stream) => stream.opened));
        // Each page's watcher starts once the page has been sent the file's messages.
        await settle(() => held().watches > before.watches && (runtime !== "node" || held().watchers === before.watchers + 3));
        const open = held();
        assert.ok(open.watches > before.watches, "the messages file is watched");
        if (runtime === "node") assert.equal(open.watchers, before.watchers + 3, "one watcher per open page");
        assert.equal(open.processes, before.processes);
        for (const stream of streams) stream.close();
        await settle(() => held().watches <= before.watches && held().watchers <= before.watchers);
        const after = held();
        assert.deepEqual([after.watches, after.watchers], [before.watches, before.watchers]);
        assert.ok(after.timers <= before.timers);
    });
});
