// The chat example: POST /chat/login sets a signed cookie with the user's name, POST /chat/messages
// publishes what a logged-in user writes on the "chat" channel (at most 30 a minute per client) and keeps
// it in a JSON-lines file, GET /chat/events follows the channel, GET /chat/messages lists what is kept;
// writes come from the chat's own page only (examples/routes/chat/_middleware.ts).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { openEventStream } from "./helpers/events.ts";
import { openSocket } from "./helpers/web-socket.ts";

// The chat file, and the older one it is moved to once it passes its bound, in a folder of their own.
const chatFolder = await mkdtemp(path.join(tmpdir(), "vshs-chat-"));
const chatFile = path.join(chatFolder, "messages.jsonl");
process.env["CHAT_FILE"] = chatFile;
// What signs the login cookies ($VSHS_SECRET, as a deployment would set it: logins outlast a restart).
const secret = "the-chat-tests-secret-of-32-chars";
process.env["VSHS_SECRET"] = secret;
const { examplesDir, repoRoot, serve } = await import("./helpers/server.ts");
const { runtime, scriptCommand } = await import("./helpers/runtime.ts");

/**
 * The examples server as `npm start` runs it behind a proxy (TRUST_PROXY=1): the rate limit counts each
 * client by its X-Forwarded-For address, so that the tests can post as many clients from one machine.
 */
const serveChat = () => serve({ routes: path.join(examplesDir, "routes"), static: path.join(examplesDir, "assets"), trustProxy: 1 });
let server = await serveChat();

/** What examples/routes/chat/store.ts promises: files of at most 256 KiB and a line. */
const maxFileBytes = 256 * 1024;
const maxLineBytes = 2 * 1000 + 2 * 40 + 200; // two-byte characters at the field limits, and the JSON around them

interface Kept {
    id: string;
    name: string;
    text: string;
    time: string;
}

// Each post comes from a client of its own unless one is named: only the rate-limit tests reach the limit.
let clients = 0;
const newClient = () => `10.${(++clients >> 16) & 255}.${(clients >> 8) & 255}.${clients & 255}`;

/** The `Cookie` header that logs in as `name` (what a browser would send back after POST /chat/login). */
async function logIn(name: string): Promise<string> {
    const response = await server.fetch("/chat/login", { method: "POST", body: JSON.stringify({ name }), headers: { "content-type": "application/json" } });
    assert.equal(response.status, 200, await response.clone().text());
    return cookieOf(response);
}

/** `name=value` of the answer's one Set-Cookie. */
function cookieOf(response: Response): string {
    const [line] = response.headers.getSetCookie();
    assert.ok(line, "a Set-Cookie header");
    return line.slice(0, line.indexOf(";"));
}

const ada = await logIn("Ada");
const grace = await logIn("Grace");

async function post(body: unknown, { cookie = ada, client = newClient() }: { cookie?: string | null; client?: string } = {}): Promise<Response> {
    const headers: Record<string, string> = { "content-type": "application/json", "x-forwarded-for": client };
    if (cookie !== null) headers["cookie"] = cookie;
    return server.fetch("/chat/messages", { method: "POST", body: JSON.stringify(body), headers });
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
        assert.match(html, /<form id="login"/);
        assert.match(html, /post\("\/chat\/messages", \{ text: textInput\.value \}\)/, "posting sends no name");
        assert.doesNotMatch(html, /(src|href)="?https?:/, "no external resources");
        assert.deepEqual(await list(), []);
    });

    it("sends a posted message to an open stream, with the id the POST answered, and keeps it", async () => {
        const stream = await follow();
        const response = await post({ text: " Hello, everyone\n" });
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
        const response = await server.fetch("/chat/messages", { method: "POST", body: new URLSearchParams({ text: "from a form" }), headers: { cookie: grace } });
        assert.equal(response.status, 200);
        assert.deepEqual([((await response.json()) as Kept).name, "from a form"], ["Grace", "from a form"]);
    });

    it("lists the messages in id order, each with its id", async () => {
        const messages = await list();
        assert.deepEqual(messages.map(({ name, text }) => `${name}: ${text}`), ["Ada: Hello, everyone", "Grace: from a form"]);
        assert.ok(BigInt(messages[0]!.id) < BigInt(messages[1]!.id));
    });

    it("sends a stream that reconnects with Last-Event-ID only the later messages, then the new ones", async () => {
        const [first, second] = await list();
        const third = (await (await post({ text: "third" })).json()) as Kept;
        const stream = await follow({ "last-event-id": first!.id });
        const fourth = (await (await post({ text: "fourth" })).json()) as Kept;
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
            [{ name: "Ada" }, '"text" is missing or not a string'],
            [{ text: 42 }, '"text" is missing or not a string'],
            [{ text: "\n" }, '"text" is empty'],
            [{ text: "x".repeat(1001) }, '"text" is longer than 1000 characters'],
            [["Ada", "hi"], '"text" is missing or not a string'],
            [null, '"text" is missing or not a string'],
        ];
        for (const [body, message] of cases) {
            const response = await post(body);
            assert.equal(response.status, 400, JSON.stringify(body));
            assert.equal(await response.text(), message);
        }
        const malformed = await server.fetch("/chat/messages", { method: "POST", body: "{", headers: { "content-type": "application/json", cookie: ada } });
        assert.equal(malformed.status, 400);
        assert.deepEqual(await list(), before);
    });

    it("keeps each of many concurrent posts once, whole", async () => {
        const texts = Array.from({ length: 30 }, (_, i) => `concurrent ${i}:`.padEnd(1000, "ü"));
        const answers = await Promise.all(texts.map((text) => post({ text })));
        assert.deepEqual(new Set(answers.map((answer) => answer.status)), new Set([200]));
        const listed = (await list()).map((message) => message.text).filter((text) => text.startsWith("concurrent "));
        assert.deepEqual(listed.sort(), [...texts].sort());
    });

    it("keeps its file under 256 KiB, the older messages in a second one, and lists only those", async () => {
        const texts = Array.from({ length: 600 }, (_, i) => `many ${i}:`.padEnd(1000, "x")); // 600 KB in all
        for (let i = 0; i < texts.length; i += 20) {
            const answers = await Promise.all(texts.slice(i, i + 20).map((text) => post({ text }, { cookie: grace })));
            assert.deepEqual(new Set(answers.map((answer) => answer.status)), new Set([200]));
        }
        const last = (await (await post({ text: "the last one" }, { cookie: grace })).json()) as Kept;

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

});

describe("the chat's login", () => {
    it("POST /chat/login sets a signed, HttpOnly, SameSite=Lax cookie holding the name (JSON or form, trimmed) and answers { name }", async () => {
        for (const [body, type] of [[JSON.stringify({ name: "  Ada Lovelace " }), "application/json"], ["name=+Ada+Lovelace+", "application/x-www-form-urlencoded"]] as const) {
            const response = await server.fetch("/chat/login", { method: "POST", body, headers: { "content-type": type } });
            assert.equal(response.status, 200);
            assert.deepEqual(await response.json(), { name: "Ada Lovelace" });
            assert.match(response.headers.getSetCookie().join("\n"), /^chat-name=Ada%20Lovelace\.[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax$/);
        }
    });

    it("GET /chat/login says who the cookie names: null without one, or with one the server did not sign", async () => {
        const whoIs = async (cookie?: string) => (await (await server.fetch("/chat/login", { headers: cookie === undefined ? {} : { cookie } })).json()) as { name: string | null };
        assert.deepEqual(await whoIs(ada), { name: "Ada" });
        assert.deepEqual(await whoIs(), { name: null });
        for (const forged of forgeries()) assert.deepEqual(await whoIs(forged), { name: null }, forged);
    });

    it("refuses a name as the messages' names were refused, with 400, setting no cookie", async () => {
        const cases: [unknown, string][] = [
            [{}, '"name" is missing or not a string'],
            [{ name: 42 }, '"name" is missing or not a string'],
            [{ name: "   " }, '"name" is empty'],
            [{ name: "A".repeat(41) }, '"name" is longer than 40 characters'],
            [null, '"name" is missing or not a string'],
        ];
        for (const [body, message] of cases) {
            const response = await server.fetch("/chat/login", { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } });
            assert.deepEqual([response.status, await response.text(), response.headers.getSetCookie()], [400, message, []], JSON.stringify(body));
        }
        assert.equal((await server.fetch("/chat/login", { method: "POST", body: JSON.stringify({ name: "ü".repeat(40) }), headers: { "content-type": "application/json" } })).status, 200, "40 characters, 80 bytes");
    });

    it("POST /chat/messages answers 401 without a valid login, and takes the author from the cookie, never from the body", async () => {
        const before = await list();
        const refused = [await post({ name: "Ada", text: "no cookie" }, { cookie: null }), ...(await Promise.all(forgeries().map((cookie) => post({ name: "Ada", text: "forged" }, { cookie }))))];
        for (const response of refused) {
            assert.equal(response.status, 401);
            assert.equal(await response.text(), "Log in first: POST /chat/login with your name");
        }
        assert.deepEqual(await list(), before, "nothing kept");
        const posted = (await (await post({ name: "Eve", text: "who am I?" }, { cookie: grace })).json()) as Kept;
        assert.equal(posted.name, "Grace");
        assert.equal((await list()).at(-1)!.name, "Grace");
    });

    it("POST /chat/logout deletes the cookie", async () => {
        const response = await server.fetch("/chat/logout", { method: "POST", headers: { cookie: ada } });
        assert.equal(response.status, 200);
        assert.deepEqual(await response.json(), { name: null });
        assert.deepEqual(response.headers.getSetCookie(), ["chat-name=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax"]);
    });

    it("takes writes from its own page and from clients that are no page (curl), not from another origin's page; reads from anywhere", async () => {
        const login = (site: string | undefined) =>
            server.fetch("/chat/login", { method: "POST", body: new URLSearchParams({ name: "Mallory" }), headers: site === undefined ? {} : { "sec-fetch-site": site, origin: "http://elsewhere.example" } });
        for (const site of ["cross-site", "same-site", "none"]) {
            const response = await login(site);
            assert.deepEqual([response.status, await response.text(), response.headers.getSetCookie()], [403, `The chat takes writes from its own page only, not from a ${site} one`, []], site);
            for (const route of ["/chat/messages", "/chat/logout"]) {
                const write = await server.fetch(route, { method: "POST", body: new URLSearchParams({ text: "from elsewhere" }), headers: { cookie: grace, "sec-fetch-site": site } });
                assert.equal(write.status, 403, `${site} ${route}`);
            }
        }
        assert.equal((await login("same-origin")).status, 200);
        assert.equal((await login(undefined)).status, 200);
        for (const route of ["/chat", "/chat/messages", "/chat/login"]) {
            assert.equal((await server.fetch(route, { headers: { "sec-fetch-site": "cross-site" } })).status, 200, route);
        }
        assert.ok(!(await list()).some((message) => message.text === "from elsewhere"));
    });
});

describe("the chat's rate limit", () => {
    it("takes 30 messages a minute from a client, then answers 429 with Retry-After; reading, other clients and refused logins are not counted", async () => {
        // Within one minute of the clock: the counts of a minute weigh on the next one (see src/rate-limit/sliding-window.ts).
        const intoMinute = Date.now() % 60_000;
        if (intoMinute > 50_000) await sleep(60_000 - intoMinute + 100);
        const client = "192.0.2.7";
        for (let i = 0; i < 5; i++) {
            assert.equal((await server.fetch("/chat/messages", { headers: { "x-forwarded-for": client } })).status, 200);
            assert.equal((await post({ text: "not logged in" }, { client, cookie: null })).status, 401);
        }
        const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => post({ text: `limited ${i}` }, { client })));
        assert.deepEqual(answers.map((answer) => answer.status), Array(30).fill(200));
        const refused = await post({ text: "one too many" }, { client, cookie: grace });
        assert.equal(refused.status, 429);
        const retryAfter = Number(refused.headers.get("retry-after"));
        assert.ok(retryAfter >= 1 && retryAfter <= 61, `Retry-After: ${retryAfter}`);
        assert.equal(refused.headers.get("ratelimit-policy"), '"chat";q=30;w=60');
        assert.equal(refused.headers.get("ratelimit"), `"chat";r=0;t=${retryAfter}`);
        assert.equal(await refused.text(), `Too many requests: at most 30 per minute. Try again in ${retryAfter} second${retryAfter === 1 ? "" : "s"}.`);
        assert.ok(!(await list()).some((message) => message.text === "one too many"), "the refused message is not kept");
        assert.equal((await server.fetch("/chat/messages", { headers: { "x-forwarded-for": client } })).status, 200, "the client still reads");
        assert.equal((await post({ text: "another client" })).status, 200, "another client still posts");
    });
});

describe("npm start's secret (examples/main.ts)", () => {
    /** examples/main.ts in a child process on a free port; resolves with what it printed up to its URL. */
    async function start(env: Record<string, string | undefined>) {
        const script = path.join(repoRoot, "examples/main.ts");
        const [command, args] = runtime === "node" ? [process.execPath, ["--import", "tsx", script]] : scriptCommand(script);
        const childEnv: Record<string, string | undefined> = { ...process.env, HOST: "127.0.0.1", PORT: "0", CHAT_FILE: chatFile, ...env };
        for (const [name, value] of Object.entries(childEnv)) if (value === undefined) delete childEnv[name];
        const child = spawn(command, args, { cwd: repoRoot, env: childEnv as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "inherit"] });
        after(() => child.kill("SIGKILL"));
        const printed = await new Promise<string>((resolve, reject) => {
            let stdout = "";
            child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
                stdout += chunk;
                if (/listening on \S+.*\n/.test(stdout)) resolve(stdout);
            });
            child.once("exit", (code) => reject(new Error(`examples/main.ts exited (${code}): ${stdout}`)));
        });
        const url = /listening on (\S+)/.exec(printed)![1]!;
        const stop = async () => {
            const exited = new Promise((resolve) => child.once("exit", resolve));
            child.kill("SIGTERM");
            await exited;
        };
        return { printed, url, stop };
    }

    const loginAt = async (url: string) => {
        const response = await fetch(`${url}/chat/login`, { method: "POST", body: new URLSearchParams({ name: "Ada" }) });
        assert.equal(response.status, 200);
        return cookieOf(response);
    };
    const postAt = (url: string, cookie: string) => fetch(`${url}/chat/messages`, { method: "POST", body: new URLSearchParams({ text: "hello" }), headers: { cookie } }).then((response) => response.status);

    it("without $VSHS_SECRET, says so in one line and signs the logins with a random secret, which ends them at a restart", { timeout: 30_000 }, async () => {
        const first = await start({ VSHS_SECRET: undefined });
        assert.match(first.printed, /^vshs: no \$VSHS_SECRET: logins are signed with a random secret until the server restarts\nvshs examples listening on http:\/\/127\.0\.0\.1:\d+ /);
        const cookie = await loginAt(first.url);
        assert.equal(await postAt(first.url, cookie), 200);
        await first.stop();
        const second = await start({ VSHS_SECRET: undefined });
        assert.equal(await postAt(second.url, cookie), 401, "another random secret: the login is gone");
        await second.stop();
    });

    it("with $VSHS_SECRET, says nothing of it, and logins outlast a restart", { timeout: 30_000 }, async () => {
        const first = await start({ VSHS_SECRET: secret });
        assert.match(first.printed, /^vshs examples listening on /);
        const cookie = await loginAt(first.url);
        await first.stop();
        const second = await start({ VSHS_SECRET: secret });
        assert.equal(await postAt(second.url, cookie), 200);
        await second.stop();
    });
});

describe("the chat over a WebSocket", () => {
    it("serves the chat over a WebSocket to the logged-in user: a hello with the name, then the chat's events", async () => {
        await assert.rejects(openSocket(server.url + "/chat/live"), { status: 401 });
        const socket = await openSocket(server.url + "/chat/live", { headers: { cookie: grace } });
        assert.deepEqual(JSON.parse(String((await socket.waitFor(1))[0])), { event: "hello", data: { name: "Grace" } });
        await sleep(50); // following the channel
        const posted = (await (await post({ text: "over the socket" })).json()) as Kept;
        const frame = JSON.parse(String((await socket.waitFor(2))[1]));
        assert.deepEqual(frame, { id: posted.id, event: "message", data: { name: "Ada", text: "over the socket", time: posted.time } });
        await assert.rejects(openSocket(server.url + "/chat/live", { headers: { cookie: grace, origin: "http://elsewhere.example" } }), { status: 403 }, "another origin is refused before the upgrade");
        socket.ws.close();
    });
});

describe("the chat across a restart", () => {
    it("after a restart, keeps the messages and the logins, and tells a page that reconnects with an old id to reload", async () => {
        const before = await list();
        const lastSeen = before.at(-1)!.id;
        await server.close();
        server = await serveChat();

        const stream = await follow({ "last-event-id": lastSeen });
        const [reset] = await stream.waitFor(1);
        assert.equal(reset!.event, "vshs-reset");
        assert.deepEqual(JSON.parse(reset!.data), { channel: "chat", lastEventId: lastSeen });
        assert.ok(BigInt(reset!.id!) > BigInt(lastSeen), "the new run's ids are larger");

        assert.deepEqual(await list(), before, "what the page reloads: every message, nothing twice");
        const next = (await (await post({ text: "after the restart" }, { cookie: grace })).json()) as Kept;
        assert.equal(next.name, "Grace", "the same secret: the login signed before the restart still holds");
        const [, live] = await stream.waitFor(2);
        stream.close();
        assert.equal(live!.id, next.id);
        assert.ok(BigInt(next.id) > BigInt(lastSeen));
        assert.deepEqual(await list(), [...before, next]);
    });
});

/** Cookies that must not log anyone in: unsigned, cut, changed, signed for another name or another cookie, or with another secret. */
function forgeries(): string[] {
    const [, value, mac] = /^chat-name=([^.]*)\.(.*)$/.exec(ada)!;
    const otherMac = /\.(.*)$/.exec(grace)![1]!;
    return [
        "chat-name=Ada",
        `chat-name=${value}.`,
        `chat-name=${value}.${mac!.slice(0, -1)}`,
        `chat-name=Eve.${mac}`,
        `chat-name=Ada.${otherMac}`,
        `chat-name=${value}.${mac!.slice(0, -1)}${mac!.endsWith("A") ? "B" : "A"}`,
        `other=${value}.${mac}; chat-name=Grace`,
        `chat-name=${value}.${"A".repeat(43)}`,
    ];
}
