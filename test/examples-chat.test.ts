// The chat example: POST /chat/messages publishes on the "chat" channel and keeps the message in a
// JSON-lines file, GET /chat/events follows the channel, GET /chat/messages lists what is kept.
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { openEventStream } from "./helpers/events.ts";

// The chat file, and the older one it is moved to once it passes its bound, in a folder of their own.
const chatFolder = await mkdtemp(path.join(tmpdir(), "vshs-chat-"));
const chatFile = path.join(chatFolder, "messages.jsonl");
process.env["CHAT_FILE"] = chatFile;
const { serveExamples } = await import("./helpers/server.ts");
let server = await serveExamples();

/** What examples/routes/chat/store.ts promises: files of at most 256 KiB and a line. */
const maxFileBytes = 256 * 1024;
const maxLineBytes = 2 * 1000 + 2 * 40 + 200; // two-byte characters at the field limits, and the JSON around them

interface Kept {
    id: string;
    name: string;
    text: string;
    time: string;
}

async function post(body: unknown): Promise<Response> {
    return server.fetch("/chat/messages", { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } });
}

async function list(): Promise<Kept[]> {
    const response = await server.fetch("/chat/messages");
    assert.equal(response.status, 200);
    return (await response.json()) as Kept[];
}

/** An open stream of /chat/events, once the channel follows it. */
async function follow(headers: Record<string, string> = {}) {
    const stream = openEventStream(`${server.url}/chat/events`, headers);
    const response = await stream.opened;
    assert.equal(response.headers["content-type"], "text/event-stream");
    await sleep(50); // the stream subscribes just after its headers leave
    return stream;
}

describe("the chat example", () => {
    it("serves its page at /chat, and an empty list before the first message", async () => {
        const page = await server.fetch("/chat");
        assert.equal(page.headers.get("content-type"), "text/html; charset=utf-8");
        const html = await page.text();
        assert.match(html, /new EventSource\(/);
        assert.match(html, /"vshs-reset"/);
        assert.doesNotMatch(html, /(src|href)="?https?:/, "no external resources");
        assert.deepEqual(await list(), []);
    });

    it("sends a posted message to an open stream, with the id the POST answered, and keeps it", async () => {
        const stream = await follow();
        const response = await post({ name: "  Ada ", text: " Hello, everyone\n" });
        assert.equal(response.status, 200);
        const posted = (await response.json()) as Kept;
        assert.match(posted.id, /^\d+$/);
        assert.deepEqual({ name: posted.name, text: posted.text }, { name: "Ada", text: "Hello, everyone" });
        const [event] = await stream.waitFor(1);
        stream.close();
        assert.equal(event!.event, "message");
        assert.equal(event!.id, posted.id);
        assert.deepEqual(JSON.parse(event!.data), { name: "Ada", text: "Hello, everyone", time: posted.time });

        assert.deepEqual(await list(), [posted]);
        assert.deepEqual((await readFile(chatFile, "utf8")).trim().split("\n").map((line) => JSON.parse(line)), [posted]);
    });

    it("accepts form fields too", async () => {
        const response = await server.fetch("/chat/messages", { method: "POST", body: new URLSearchParams({ name: "Grace", text: "from a form" }) });
        assert.equal(response.status, 200);
        assert.equal(((await response.json()) as Kept).text, "from a form");
    });

    it("lists the messages in id order, each with its id", async () => {
        const messages = await list();
        assert.deepEqual(messages.map(({ name, text }) => `${name}: ${text}`), ["Ada: Hello, everyone", "Grace: from a form"]);
        assert.ok(BigInt(messages[0]!.id) < BigInt(messages[1]!.id));
    });

    it("sends a stream that reconnects with Last-Event-ID only the later messages, then the new ones", async () => {
        const [first, second] = await list();
        const third = (await (await post({ name: "Ada", text: "third" })).json()) as Kept;
        const stream = await follow({ "last-event-id": first!.id });
        const fourth = (await (await post({ name: "Ada", text: "fourth" })).json()) as Kept;
        const events = await stream.waitFor(3);
        await sleep(50);
        stream.close();
        assert.deepEqual(
            events.map((event) => event.id),
            [second!.id, third.id, fourth.id],
        );
        const latest = await follow({ "last-event-id": fourth.id });
        await sleep(50);
        latest.close();
        assert.deepEqual(latest.events, [], "nothing is sent again");
    });

    it("refuses a bad post with 400 and says why, keeping nothing", async () => {
        const before = await list();
        const cases: [unknown, string][] = [
            [{ text: "hi" }, '"name" is missing or not a string'],
            [{ name: "Ada", text: 42 }, '"text" is missing or not a string'],
            [{ name: "   ", text: "hi" }, '"name" is empty'],
            [{ name: "Ada", text: "\n" }, '"text" is empty'],
            [{ name: "A".repeat(41), text: "hi" }, '"name" is longer than 40 characters'],
            [{ name: "Ada", text: "x".repeat(1001) }, '"text" is longer than 1000 characters'],
            [["Ada", "hi"], '"name" is missing or not a string'],
            [null, '"name" is missing or not a string'],
        ];
        for (const [body, message] of cases) {
            const response = await post(body);
            assert.equal(response.status, 400, JSON.stringify(body));
            assert.equal(await response.text(), message);
        }
        const malformed = await server.fetch("/chat/messages", { method: "POST", body: "{", headers: { "content-type": "application/json" } });
        assert.equal(malformed.status, 400);
        assert.deepEqual(await list(), before);
    });

    it("keeps each of many concurrent posts once, whole", async () => {
        const texts = Array.from({ length: 30 }, (_, i) => `concurrent ${i}:`.padEnd(1000, "ü"));
        const answers = await Promise.all(texts.map((text) => post({ name: "Ada", text })));
        assert.deepEqual(new Set(answers.map((answer) => answer.status)), new Set([200]));
        const listed = (await list()).map((message) => message.text).filter((text) => text.startsWith("concurrent "));
        assert.deepEqual(listed.sort(), [...texts].sort());
    });

    it("keeps its file under 256 KiB, the older messages in a second one, and lists only those", async () => {
        const texts = Array.from({ length: 600 }, (_, i) => `many ${i}:`.padEnd(1000, "x")); // 600 KB in all
        for (let i = 0; i < texts.length; i += 20) {
            const answers = await Promise.all(texts.slice(i, i + 20).map((text) => post({ name: "Grace", text })));
            assert.deepEqual(new Set(answers.map((answer) => answer.status)), new Set([200]));
        }
        const last = (await (await post({ name: "Grace", text: "the last one" })).json()) as Kept;

        const sizes = await Promise.all((await readdir(chatFolder)).map(async (name) => (await stat(path.join(chatFolder, name))).size));
        assert.ok(sizes.every((size) => size <= maxFileBytes + maxLineBytes), `each file at most 256 KiB and a line: ${sizes.join(", ")}`);

        const response = await server.fetch("/chat/messages");
        const body = await response.text();
        assert.ok(body.length < 4 * maxFileBytes, `the list answer stays small: ${body.length} bytes`);
        const messages = JSON.parse(body) as Kept[];
        assert.ok(messages.length < texts.length, "the oldest messages are let go");
        assert.ok(messages.length >= Math.floor(maxFileBytes / maxLineBytes), `at least 256 KiB of the latest messages kept: ${messages.length}`);
        assert.deepEqual(messages.at(-1), last);
        const ids = messages.map((message) => BigInt(message.id));
        assert.ok(ids.every((id, i) => i === 0 || id > ids[i - 1]!), "in id order, each once");
        const keptTexts = messages.map((message) => message.text).filter((text) => text.startsWith("many "));
        assert.ok(keptTexts.every((text) => texts.includes(text)), "every kept message whole");
    });

    it("after a restart, keeps the messages and tells a page that reconnects with an old id to reload", async () => {
        const before = await list();
        const lastSeen = before.at(-1)!.id;
        await server.close();
        server = await serveExamples();

        const stream = await follow({ "last-event-id": lastSeen });
        const [reset] = await stream.waitFor(1);
        assert.equal(reset!.event, "vshs-reset");
        assert.deepEqual(JSON.parse(reset!.data), { channel: "chat", lastEventId: lastSeen });
        assert.ok(BigInt(reset!.id!) > BigInt(lastSeen), "the new run's ids are larger");

        assert.deepEqual(await list(), before, "what the page reloads: every message, nothing twice");
        const next = (await (await post({ name: "Grace", text: "after the restart" })).json()) as Kept;
        const [, live] = await stream.waitFor(2);
        stream.close();
        assert.equal(live!.id, next.id);
        assert.ok(BigInt(next.id) > BigInt(lastSeen));
        assert.deepEqual(await list(), [...before, next]);
    });

});
