/**
 * Concurrent writes in the examples (issue 23): many clients post messages of random sizes, some past
 * the limits, to the demo and the chat at once (each chat poster logged in, each of its posts from an
 * address of its own behind a trusted proxy, so that the chat's rate limit does not stop the load), while
 * pages follow them live; then many pages load at once. The examples server runs in a child process of its own, `npm start` as it is, so that its memory
 * alone is measured. Every accepted message must reach each page that follows, whole and once; every
 * refused one must get a 4xx, never a 500; the message files must stay under their bound, and the
 * memory and answers of the pages that load must not grow with what was posted.
 * Sizes shrink with ROBUST_BOUNDED=1 (see scale.ts); every figure measured is reported.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { openEventStream } from "../helpers/events.ts";
import { report, scaled } from "./scale.ts";

const repoRoot = path.resolve(import.meta.dirname, "../..");
const MiB = 1024 * 1024;

/** What the examples promise (examples/routes/demo/{name}/messages.ts, examples/routes/chat/store.ts). */
const maxMessageLength = 1000;
const maxFileBytes = 256 * 1024;
const maxLineBytes = 6 * maxMessageLength + 400; // a character JSON escapes as \u0001 takes 6 bytes

// ---------------------------------------------------------------------------------------------------
// The examples server, in a child process

const messagesFolder = await mkdtemp(path.join(tmpdir(), "vshs-example-writes-"));
let child: ChildProcess;
let serverUrl = "";
let serverStderr = "";

before(async () => {
    child = spawn(process.execPath, ["--import", "tsx", path.join(repoRoot, "examples/main.ts")], {
        cwd: repoRoot,
        env: {
            ...process.env,
            HOST: "127.0.0.1",
            PORT: "0",
            VSHS_DEMO_MESSAGES: path.join(messagesFolder, "demo.txt"),
            CHAT_FILE: path.join(messagesFolder, "chat.jsonl"),
            VSHS_SECRET: "the-example-writes-test-secret",
            TRUST_PROXY: "1",
        },
        stdio: ["ignore", "pipe", "pipe"],
    });
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (serverStderr += chunk));
    serverUrl = await new Promise<string>((resolve, reject) => {
        let stdout = "";
        const timer = setTimeout(() => reject(new Error(`the examples server printed no URL within 20 s:\n${stdout}${serverStderr}`)), 20_000);
        child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
            stdout += chunk;
            const found = /listening on (http:\/\/\S+)/.exec(stdout);
            if (found) {
                clearTimeout(timer);
                resolve(found[1]!);
            }
        });
        child.once("exit", (code) => reject(new Error(`the examples server exited (${code}):\n${stdout}${serverStderr}`)));
    });
});
after(() => child.kill("SIGKILL"));
process.once("exit", () => child?.kill("SIGKILL"));

/** The server's resident memory now and at its peak since the last resetPeak(), from Linux's /proc, in MiB. */
function serverMemory(): { rss: number; peak: number } {
    const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)![1]);
    return { rss: kib("VmRSS") / 1024, peak: kib("VmHWM") / 1024 };
}

/** Starts measuring the server's peak memory again (Linux: "5" in clear_refs resets VmHWM). */
function resetPeak(): void {
    writeFileSync(`/proc/${child.pid}/clear_refs`, "5");
}

// ---------------------------------------------------------------------------------------------------
// Random messages

/** A small seeded generator (mulberry32), so that a failing run can be replayed with ROBUST_SEED. */
const seed = Number(process.env.ROBUST_SEED ?? Date.now() % 2 ** 31);
let state = seed;
function random(): number {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
}
const between = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));

// Letters, and what JSON must escape or a line-based file must not split on.
const alphabet = [..."abcdefghij ", "é", "ü", "€", "😀", '"', "\\", "\n", "\r", "\t", "\u0001", "\u2028"];

/**
 * A message of `length` characters that starts with its label, so that one cut or mixed with another
 * shows, and ends with a dot, so that the chat (which trims) keeps it as it is.
 */
function message(label: string, length: number): string {
    const text = `${label}:`;
    if (length > 2000) return text.padEnd(length - 1, "x") + "."; // long ones: the length is what matters
    let middle = "";
    for (let i = [...text].length; i < length - 1; i++) middle += alphabet[between(0, alphabet.length - 1)];
    return `${text}${middle}.`;
}

/** Mostly messages within the limit, some just past it, a few far past it, and a few past the 1 MiB body limit. */
function randomLength(): number {
    const roll = random();
    if (roll < 0.8) return between(20, maxMessageLength);
    if (roll < 0.9) return between(maxMessageLength + 1, 5000);
    if (roll < 0.97) return between(100_000, 700_000);
    return between(MiB + 1, MiB + 100_000);
}

// ---------------------------------------------------------------------------------------------------
// Posting

interface Outcome {
    accepted: Map<string, string[]>; // room → the messages answered 200
    refused: Map<number, number>; // status (0: connection closed mid-body) → how many
}

/** Status 0 stands for a connection the server closed before the client had sent the whole body. */
async function postJson(pathname: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
    const json = JSON.stringify(body);
    try {
        const response = await fetch(serverUrl + pathname, { method: "POST", body: json, headers: { "content-type": "application/json", ...headers } });
        return { status: response.status, text: await response.text() };
    } catch (error) {
        // Past maxBodySize the server answers 413 and stops reading at once: a client still sending
        // may see the connection close instead of the answer.
        if (Buffer.byteLength(json) > MiB) return { status: 0, text: String((error as Error).cause ?? error) };
        throw error;
    }
}

function record(outcome: Outcome, room: string, text: string, answer: { status: number; text: string }): void {
    if (answer.status === 200) {
        outcome.accepted.set(room, [...(outcome.accepted.get(room) ?? []), text]);
        return;
    }
    const refusal = (answer.status >= 400 && answer.status < 500) || answer.status === 0;
    assert.ok(refusal, `a ${[...text].length}-character message answered ${answer.status}: ${answer.text.slice(0, 200)}`);
    assert.ok([...text].length > maxMessageLength, `a message within the limit refused: ${answer.status} ${answer.text.slice(0, 200)}`);
    outcome.refused.set(answer.status, (outcome.refused.get(answer.status) ?? 0) + 1);
}

/** The chat's login cookie for `name` (examples/routes/chat/session.ts). */
async function chatLogin(name: string): Promise<string> {
    const response = await fetch(`${serverUrl}/chat/login`, { method: "POST", body: JSON.stringify({ name }), headers: { "content-type": "application/json" } });
    assert.equal(response.status, 200, await response.clone().text());
    const line = response.headers.getSetCookie()[0]!;
    return line.slice(0, line.indexOf(";"));
}

// Each chat post from an address of its own (X-Forwarded-For, which the server trusts one hop of): the
// load is many clients', not one client's past the chat's 30 messages a minute.
let chatPosts = 0;
async function postChat(cookie: string, text: string): Promise<{ status: number; text: string }> {
    const n = ++chatPosts;
    return postJson("/chat/messages", { text }, { cookie, "x-forwarded-for": `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}` });
}

/** `posters` clients at once, each posting `each` messages one after the other, half to the demo's rooms, half to the chat. */
async function postConcurrently(posters: number, each: number, rooms: string[]): Promise<Outcome> {
    const outcome: Outcome = { accepted: new Map(), refused: new Map() };
    await Promise.all(
        Array.from({ length: posters }, async (_, poster) => {
            const cookie = await chatLogin(`poster ${poster}`);
            for (let i = 0; i < each; i++) {
                const text = message(`p${poster}-${i}`, randomLength());
                if (i % 2 === 0) {
                    const room = rooms[between(0, rooms.length - 1)]!;
                    record(outcome, room, text, await postJson(`/demo/${room}`, { message: text }));
                } else {
                    record(outcome, "chat", text, await postChat(cookie, text));
                }
            }
        }),
    );
    return outcome;
}

// ---------------------------------------------------------------------------------------------------
// Checking

/** `actual` holds exactly the messages of `expected`, each once and whole; a failure names them by label. */
function assertSameMessages(actual: string[], expected: string[], what: string): void {
    const label = (text: string) => `${text.slice(0, text.indexOf(":"))} (${[...text].length} characters)`;
    assert.deepEqual(actual.map(label).sort(), expected.map(label).sort(), what);
    const sent = new Set(expected);
    assert.ok(actual.every((text) => sent.has(text)), `${what}: a message changed on the way`);
}

/** Collects a stream's `message` events until `count` have come, or `ms` pass; then a little longer, for any sent twice. */
async function collect(stream: ReturnType<typeof openEventStream>, count: number, ms: number): Promise<string[]> {
    await Promise.race([stream.waitFor(count), sleep(ms)]);
    await sleep(200);
    return stream.events.filter((event) => event.event === "message").map((event) => event.data);
}

/** Every file in the messages folder: each line one whole JSON value, each file under its bound. */
function filesOnDisk(): { files: number; largest: number; total: number } {
    const sizes: number[] = [];
    for (const name of readdirSync(messagesFolder)) {
        const file = path.join(messagesFolder, name);
        sizes.push(statSync(file).size);
        for (const line of readFileSync(file, "utf8").split("\n").filter(Boolean)) {
            assert.doesNotThrow(() => JSON.parse(line), `a corrupt line in ${name}: ${line.slice(0, 100)}…`);
        }
    }
    const largest = Math.max(...sizes);
    assert.ok(largest <= maxFileBytes + maxLineBytes, `a message file of ${largest} bytes, past its bound (${maxFileBytes} and a line)`);
    return { files: sizes.length, largest, total: sizes.reduce((sum, size) => sum + size, 0) };
}

// ---------------------------------------------------------------------------------------------------

describe("concurrent writes in the examples", () => {
    it("keeps every accepted message whole and once, refuses the others with a 4xx, and stays bounded", { timeout: 300_000 }, async () => {
        const rooms = ["r0", "r1", "r2", "r3"];
        const posters = scaled(40, 24);
        const each = scaled(80, 40);

        // Pages that follow from the start: each must get every message accepted for it, live.
        const demoFollowers = new Map(rooms.map((room) => [room, openEventStream(`${serverUrl}/demo/${room}`)]));
        const chatFollower = openEventStream(`${serverUrl}/chat/events`);
        await Promise.all([...demoFollowers.values(), chatFollower].map((stream) => stream.opened));
        await sleep(200);

        const started = performance.now();
        const outcome = await postConcurrently(posters, each, rooms);
        const postingMs = performance.now() - started;
        const acceptedCount = [...outcome.accepted.values()].reduce((sum, list) => sum + list.length, 0);
        const acceptedBytes = [...outcome.accepted.values()].flat().reduce((sum, text) => sum + Buffer.byteLength(text), 0);

        for (const [room, stream] of demoFollowers) {
            const expected = outcome.accepted.get(room) ?? [];
            const followed = (await collect(stream, expected.length, 10_000)).map((data) => JSON.parse(data).message as string);
            stream.close();
            assertSameMessages(followed, expected, `the page following demo room ${room}`);
        }
        const chatExpected = outcome.accepted.get("chat") ?? [];
        const chatFollowed = (await collect(chatFollower, chatExpected.length, 10_000)).map((data) => JSON.parse(data).text as string);
        chatFollower.close();
        assertSameMessages(chatFollowed, chatExpected, "the page following the chat");

        const disk = filesOnDisk();

        // A last message per room, then many pages loading at once: each gets whole messages, each once,
        // ending with the last one, and neither the answers nor the server's memory grow with what was posted.
        const last = new Map(rooms.map((room) => [room, message(`last in ${room}`, 10)]));
        for (const [room, text] of last) assert.equal((await postJson(`/demo/${room}`, { message: text })).status, 200);
        const lastChat = message("last in the chat", 10);
        assert.equal((await postChat(await chatLogin("last"), lastChat)).status, 200);

        const readers = scaled(60, 20);
        const memoryBefore = serverMemory();
        resetPeak();
        let largestList = 0;
        let largestHistory = 0;
        await Promise.all(
            Array.from({ length: readers }, async (_, i) => {
                if (i % 2 === 0) {
                    const response = await fetch(`${serverUrl}/chat/messages`);
                    const body = await response.text();
                    largestList = Math.max(largestList, body.length);
                    const texts = (JSON.parse(body) as { text: string }[]).map((kept) => kept.text);
                    assert.equal(new Set(texts).size, texts.length, "a message listed twice");
                    assert.equal(texts.at(-1), lastChat);
                    assert.ok(texts.every((text) => text === lastChat || chatExpected.includes(text)), "a listed message changed");
                } else {
                    const room = rooms[i % rooms.length]!;
                    const stream = openEventStream(`${serverUrl}/demo/${room}`);
                    await stream.opened;
                    const history: string[] = [];
                    while (history.at(-1) !== last.get(room)) {
                        const events = await Promise.race([stream.waitFor(history.length + 1), sleep(10_000).then(() => null)]);
                        assert.ok(events, `room ${room}: the last message did not come within 10 s (${history.length} came)`);
                        history.splice(0, history.length, ...events.map((event) => JSON.parse(event.data).message as string));
                    }
                    stream.close();
                    largestHistory = Math.max(largestHistory, history.reduce((sum, text) => sum + Buffer.byteLength(text), 0));
                    const accepted = new Set([...(outcome.accepted.get(room) ?? []), last.get(room)]);
                    assert.equal(new Set(history).size, history.length, `room ${room}: a message sent twice to a new page`);
                    assert.ok(history.every((text) => accepted.has(text)), `room ${room}: a message changed on the way to a new page`);
                }
            }),
        );
        const memoryAfter = serverMemory();
        const readersGrowth = memoryAfter.peak - memoryBefore.rss;

        report("example-writes", {
            seed,
            posts: posters * each,
            accepted: acceptedCount,
            "accepted MiB": acceptedBytes / MiB,
            "refused 400": outcome.refused.get(400) ?? 0,
            "refused 413": outcome.refused.get(413) ?? 0,
            "cut off past 1 MiB": outcome.refused.get(0) ?? 0,
            "posting s": postingMs / 1000,
            "files on disk": disk.files,
            "largest file KiB": disk.largest / 1024,
            readers,
            "largest list KiB": largestList / 1024,
            "largest history KiB": largestHistory / 1024,
            "RSS before readers MiB": memoryBefore.rss,
            "peak RSS during readers MiB": memoryAfter.peak,
        });
        assert.ok((outcome.refused.get(400) ?? 0) > 0 && acceptedCount > 0, "both accepted and refused messages were tried");
        assert.equal(disk.files, 4, "both files were set aside at least once while pages followed them (demo and chat: the file and the older one)");
        assert.ok(largestList < 4 * maxFileBytes, `a chat list of ${largestList} bytes`);
        assert.ok(largestHistory < 2 * (maxFileBytes + maxLineBytes), `a room history of ${largestHistory} bytes`);
        assert.ok(readersGrowth < 64, `the server grew by ${readersGrowth.toFixed(1)} MiB while ${readers} pages loaded`);
        assert.doesNotMatch(serverStderr, /failed/, "the server logged a failure");
    });
});
