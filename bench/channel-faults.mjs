#!/usr/bin/env node
// Channel fault trials: how vshs channels behave when Redis, the subscription, a process or a client
// misbehaves. Self-contained (node: builtins only; needs `redis-server` and `redis-cli` on the PATH).
//
//   node bench/channel-faults.mjs [--repo DIR] [--only name,name] [--json FILE]
//
// --repo DIR   the checkout whose dist/cli/main.js is started as the server (default: the repo holding
//              this script). Route files are written to DIR/.faults-tmp-<pid>/routes, inside the checkout,
//              so that their `import ... from "vshs"` resolves to that checkout by self-reference; the
//              folder is deleted at the end.
// --only       scenarios to run (default: all): reset-race, subscription-drop, hung-redis,
//              history-mismatch, quiet-channel, reconnect-storm, slow-consumer
// --json FILE  also write every row and its details as JSON
//
// Every scenario starts its own redis-server(s) (--save "" --appendonly no) and vshs processes on free
// ports, and kills them all when it ends, fails or runs out of time. Clients are real: event streams read
// with fetch() and a small SSE parser; the POST answers give the accepted ids, compared with the ids
// each stream received.
//
// Columns: published = POSTs attempted; accepted = 2xx answers with an id; refused = any other answer
// or a client-side error/timeout; delivered = distinct accepted ids each client received (min–max over
// clients); losses = (client, event) pairs where an accepted event never reached a client that stayed
// connected or resumed, and was not covered by a vshs-reset (a reset covers the ids up to its own id
// when that id is one the channel really gave; a reset whose id was never given covers nothing);
// dups = events a client received more than once; resets = vshs-reset events received.

import { execFile, spawn } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { setTimeout as sleepRaw } from "node:timers/promises";
import { fileURLToPath, pathToFileURL } from "node:url";

// ---------------------------------------------------------------- parameters (scenario sizes) ----

const P = {
    /** Default bound on one scenario (its processes are killed when it is reached). */
    scenarioTimeoutMs: 60_000,
    serverStartMs: 15_000,
    raceRounds: 60,
    racePosts: 20,
    /** After the last POST of a round is answered, how long the client may take to get everything. */
    raceSettleMs: 300,
    raceSkewMs: 1000,
    dropClients: 10,
    dropEvents: 1100,
    dropHistory: 1000,
    dropWaitMs: 3000,
    hungPosts: 128,
    hungPausesMs: [35_000, 8_000],
    hungClientTimeoutMs: 40_000,
    mismatchHistoryA: 0,
    mismatchHistoryB: 100,
    mismatchBefore: 10,
    mismatchWhileAway: 10,
    mismatchAfter: 2,
    quietClients: 10,
    quietPosts: 3,
    quietWaitMs: 3000,
    /** warm: the channel had an event on B before the drop; holdMs: how long Redis refuses B's reconnection (0: no hold, a race). */
    quietVariants: [
        { warm: true, holdMs: 500 },
        { warm: false, holdMs: 500 },
        { warm: true, holdMs: 0 },
    ],
    stormSizes: [300, 1000],
    stormFill: 1000,
    stormEventBytes: 100,
    stormPatienceMs: 30_000,
    slowRatePerS: 200,
    slowEventBytes: 1024,
    slowMaxMs: 45_000,
    /** POSTs in flight at once when filling a channel. */
    fillConcurrency: 32,
};

// ------------------------------------------------------------------------------ command line ----

const here = path.dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const option = (name) => {
    const index = argv.indexOf(name);
    if (index === -1) return undefined;
    const value = argv[index + 1];
    if (value === undefined || value.startsWith("--")) usage(`${name} needs a value`);
    return value;
};
function usage(message) {
    console.error(`${message}\nusage: node bench/channel-faults.mjs [--repo DIR] [--only name,name] [--json FILE]`);
    process.exit(2);
}
for (const arg of argv) if (arg.startsWith("--") && !["--repo", "--only", "--json"].includes(arg)) usage(`unknown option ${arg}`);
const repo = path.resolve(option("--repo") ?? path.join(here, ".."));
const cliPath = path.join(repo, "dist/cli/main.js");
if (!existsSync(cliPath)) usage(`${cliPath} does not exist (build that checkout first)`);
const jsonFile = option("--json");
const only = option("--only")?.split(",").map((name) => name.trim()).filter(Boolean);

const tmpDir = path.join(repo, `.faults-tmp-${process.pid}`);
const routesDir = path.join(tmpDir, "routes");
const rand = () => Math.random().toString(36).slice(2, 8);
const now = () => performance.now();
const log = (...args) => console.error(`[${new Date().toISOString().slice(11, 19)}]`, ...args);

// ------------------------------------------------------------------------------------ routes ----

function writeRoutes() {
    const files = {
        // A stream that follows the channel named in the path.
        "ch/{name}/GET.mjs": `import { channel } from "vshs";\nexport default ({ route }) => channel(route.vars.name).stream();\n`,
        // Publishes the body to it; answers the id.
        "ch/{name}/POST.mjs": `import { channel } from "vshs";\nexport default async ({ body, route }) => ({ id: await channel(route.vars.name).publish(body, "item") });\n`,
        // The same stream, saying on stdout when it opens and when it ends (for slow-consumer).
        "probe/{name}/GET.mjs": [
            `import { channel, SSEResponse } from "vshs";`,
            `export default ({ route }) => new SSEResponse(async (self) => {`,
            `    console.log("FAULTS-PROBE open " + route.vars.name + " " + Date.now());`,
            `    self.onConnectionClosed = () => console.log("FAULTS-PROBE closed " + route.vars.name + " " + Date.now());`,
            `    await self.subscribe(channel(route.vars.name));`,
            `});`,
            ``,
        ].join("\n"),
    };
    for (const [file, text] of Object.entries(files)) {
        const full = path.join(routesDir, file);
        mkdirSync(path.dirname(full), { recursive: true });
        writeFileSync(full, text);
    }
}

/** A module for --import that puts this process's Date.now `ms` behind (performance.now untouched). */
function writeSkewPreload(ms) {
    const file = path.join(tmpDir, `clock-minus-${ms}.mjs`);
    writeFileSync(file, `const realNow = Date.now.bind(Date);\nDate.now = () => realNow() - ${ms};\n`);
    return file;
}

// ---------------------------------------------------------------------------------- contexts ----

/** Everything one scenario started: killed at its end, whatever happens. */
class Context {
    constructor(name) {
        this.name = name;
        this.controller = new AbortController();
        this.signal = this.controller.signal;
        this.processes = new Set();
        this.clients = new Set();
        this.sockets = new Set();
    }
    check() {
        if (this.signal.aborted) throw new Error(`scenario ${this.name} ended`);
    }
    sleep(ms) {
        return sleepRaw(ms, undefined, { signal: this.signal });
    }
    async cleanup() {
        this.controller.abort();
        for (const client of this.clients) client.close();
        for (const socket of this.sockets) socket.destroy();
        await Promise.all([...this.processes].map((proc) => proc.kill()));
    }
}

const allProcesses = new Set();
function killAllSync() {
    for (const child of allProcesses) {
        try {
            process.kill(child.pid, "SIGCONT");
            process.kill(child.pid, "SIGKILL");
        } catch {}
    }
}
let cleanedUp = false;
function removeTmp() {
    if (cleanedUp) return;
    cleanedUp = true;
    rmSync(tmpDir, { recursive: true, force: true });
}
process.on("exit", () => (killAllSync(), removeTmp()));
for (const name of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(name, () => process.exit(130));

/** A child process whose output is kept, with a way to wait for a line of it. */
class Proc {
    constructor(ctx, label, command, args, options = {}) {
        ctx.check();
        this.label = label;
        this.output = "";
        this.waiters = new Set();
        this.child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], ...options });
        allProcesses.add(this.child);
        ctx.processes.add(this);
        const take = (chunk) => {
            this.output += chunk;
            for (const waiter of this.waiters) waiter();
        };
        this.child.stdout.setEncoding("utf8").on("data", take);
        this.child.stderr.setEncoding("utf8").on("data", take);
        this.exited = new Promise((resolve) => this.child.on("exit", (code, signal) => resolve(code ?? signal)));
        this.exited.then(() => {
            allProcesses.delete(this.child);
            for (const waiter of this.waiters) waiter();
        });
        this.child.on("error", (error) => (this.output += `\n[spawn error] ${error.message}\n`));
    }
    get pid() {
        return this.child.pid;
    }
    /** Resolves with the first match of `pattern` in the output from `from` on. */
    waitFor(pattern, ms, from = 0) {
        return new Promise((resolve, reject) => {
            const check = () => {
                const found = pattern.exec(this.output.slice(from));
                if (found) {
                    done();
                    resolve(found);
                } else if (this.child.exitCode !== null || this.child.signalCode !== null) {
                    done();
                    reject(new Error(`${this.label} exited before printing ${pattern}:\n${this.output.slice(-2000)}`));
                }
            };
            const timer = setTimeout(() => (done(), reject(new Error(`${this.label}: no ${pattern} within ${ms} ms:\n${this.output.slice(-2000)}`))), ms);
            const done = () => (clearTimeout(timer), this.waiters.delete(check));
            this.waiters.add(check);
            check();
        });
    }
    signal(name) {
        try {
            process.kill(this.child.pid, name);
        } catch {}
    }
    async kill() {
        if (this.child.exitCode !== null || this.child.signalCode !== null) return;
        this.signal("SIGCONT");
        this.signal("SIGKILL");
        await Promise.race([this.exited, sleepRaw(3000)]);
    }
}

function freePort() {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.on("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const { port } = server.address();
            server.close(() => resolve(port));
        });
    });
}

async function startRedis(ctx, extra = []) {
    const port = await freePort();
    const proc = new Proc(ctx, `redis-server:${port}`, "redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", ...extra]);
    await proc.waitFor(/Ready to accept connections/, 10_000);
    return {
        proc,
        port,
        url: `redis://127.0.0.1:${port}`,
        cli: (...args) =>
            new Promise((resolve, reject) =>
                execFile("redis-cli", ["-p", String(port), ...args], { timeout: 5000 }, (error, stdout, stderr) => (error ? reject(new Error(`redis-cli ${args.join(" ")}: ${error.message} ${stderr}`)) : resolve(stdout))),
            ),
    };
}

/** Starts `node [--import preload] <repo>/dist/cli/main.js <routes> --port 0 ...` and resolves once it serves. */
async function startVshs(ctx, label, { redis, history, preload, quiet = true, extra = [] } = {}) {
    const args = [];
    if (preload) args.push("--import", pathToFileURL(preload).href);
    args.push(cliPath, routesDir, "--port", "0", "--host", "127.0.0.1");
    if (quiet) args.push("--quiet");
    if (redis) args.push("--redis", redis.url ?? redis);
    if (history !== undefined) args.push("--channel-history", String(history));
    args.push(...extra);
    const env = { ...process.env };
    delete env.REDIS_URL;
    const proc = new Proc(ctx, `vshs ${label}`, process.execPath, args, { cwd: repo, env });
    const [, url] = await proc.waitFor(/serving (http:\/\/\S+)/, P.serverStartMs);
    const server = { label, proc, url, signal: (name) => proc.signal(name) };
    // Load the route modules before anything is measured.
    const name = `warm-${rand()}`;
    const client = new StreamClient(ctx, `${url}/ch/${name}`);
    await client.opened;
    const answer = await post(ctx, url, name, { warm: true });
    if (!answer.ok) throw new Error(`${label}: warm-up POST answered ${answer.status} ${answer.error ?? ""}\n${proc.output.slice(-2000)}`);
    client.close();
    server.logFrom = proc.output.length;
    return server;
}

/** What a server printed since it was warmed up, without the lines the probe route prints. */
function serverLog(server, dropLine = () => false) {
    return server.proc.output
        .slice(server.logFrom)
        .split("\n")
        .filter((line) => line.trim() !== "" && !line.startsWith("FAULTS-PROBE") && !dropLine(line));
}

// ------------------------------------------------------------------------------------- HTTP ----

/** POSTs `body` to /ch/<name>; resolves with the status, the id of an accepted event, and when. */
async function post(ctx, base, name, body, timeoutMs = 10_000) {
    ctx.check();
    const startedAt = now();
    try {
        const response = await fetch(`${base}/ch/${name}`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(body),
            signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)]),
        });
        const text = await response.text();
        let id;
        if (response.ok) {
            try {
                id = Number(JSON.parse(text).id);
            } catch {}
        }
        const ok = response.ok && Number.isSafeInteger(id);
        return { ok, status: response.status, id: ok ? id : undefined, body, startedAt, answeredAt: now(), ms: now() - startedAt, text: ok ? undefined : text.slice(0, 200) };
    } catch (error) {
        const kind = error?.name === "TimeoutError" ? "timeout" : "error";
        return { ok: false, status: kind, body, startedAt, answeredAt: now(), ms: now() - startedAt, error: `${error?.name}: ${error?.cause?.code ?? error?.message}` };
    }
}

/** Runs fn(0..count-1) with at most `concurrency` in flight; resolves with the results in order. */
async function pool(count, concurrency, fn) {
    const results = new Array(count);
    let next = 0;
    await Promise.all(
        Array.from({ length: Math.min(count, concurrency) }, async () => {
            while (next < count) {
                const index = next++;
                results[index] = await fn(index);
            }
        }),
    );
    return results;
}

/** Counts of attempted / accepted / refused POSTs. */
class Tally {
    constructor() {
        this.answers = [];
    }
    add(answers) {
        this.answers.push(...[answers].flat());
        return answers;
    }
    get published() {
        return this.answers.length;
    }
    get acceptedIds() {
        return this.answers.filter((answer) => answer.ok).map((answer) => answer.id);
    }
    get refused() {
        return this.answers.filter((answer) => !answer.ok).length;
    }
    byStatus() {
        const counts = {};
        for (const answer of this.answers) counts[answer.status] = (counts[answer.status] ?? 0) + 1;
        return counts;
    }
}

/** An event stream read with fetch(): the ids received (with their data), the vshs-reset events. */
class StreamClient {
    constructor(ctx, url, { lastEventId } = {}) {
        ctx.check();
        this.url = url;
        this.counts = new Map(); // id -> times received
        this.dataById = new Map();
        this.order = [];
        this.resets = [];
        this.lastEventId = lastEventId;
        this.closed = false;
        this.waiters = new Set();
        this.controller = new AbortController();
        ctx.clients.add(this);
        this.opened = new Promise((resolve, reject) => ((this.resolveOpened = resolve), (this.rejectOpened = reject)));
        this.opened.catch(() => {});
        this.done = this.#run(ctx, lastEventId);
    }

    async #run(ctx, lastEventId) {
        try {
            const headers = { accept: "text/event-stream" };
            if (lastEventId !== undefined) headers["last-event-id"] = String(lastEventId);
            const response = await fetch(this.url, { headers, signal: AbortSignal.any([ctx.signal, this.controller.signal]) });
            this.status = response.status;
            if (response.status !== 200) {
                this.error = `GET answered ${response.status}: ${(await response.text()).slice(0, 200)}`;
                this.rejectOpened(new Error(this.error));
                return;
            }
            this.resolveOpened();
            const decoder = new TextDecoder();
            let buffer = "";
            let event = {};
            for await (const chunk of response.body) {
                buffer += decoder.decode(chunk, { stream: true });
                let start = 0;
                for (let end = buffer.indexOf("\n", start); end !== -1; end = buffer.indexOf("\n", start)) {
                    let line = buffer.slice(start, end);
                    start = end + 1;
                    if (line.endsWith("\r")) line = line.slice(0, -1);
                    if (line === "") {
                        this.#dispatch(event);
                        event = {};
                    } else if (!line.startsWith(":")) {
                        const colon = line.indexOf(":");
                        const field = colon === -1 ? line : line.slice(0, colon);
                        let value = colon === -1 ? "" : line.slice(colon + 1);
                        if (value.startsWith(" ")) value = value.slice(1);
                        if (field === "id") event.id = value;
                        else if (field === "event") event.event = value;
                        else if (field === "data") event.data = event.data === undefined ? value : `${event.data}\n${value}`;
                    }
                }
                buffer = buffer.slice(start);
            }
            this.endedBy = "server";
        } catch (error) {
            if (!this.controller.signal.aborted && !ctx.signal.aborted) this.error = `${error?.name}: ${error?.cause?.code ?? error?.message}`;
            this.rejectOpened(error);
        } finally {
            this.closed = true;
            this.closedAt = now();
            this.#notify();
        }
    }

    #dispatch(event) {
        if (event.id === undefined && event.data === undefined) return;
        if (event.id !== undefined) this.lastEventId = event.id;
        const at = now();
        if (event.event === "vshs-reset") {
            this.resets.push({ id: Number(event.id), at, data: event.data });
        } else if (event.id !== undefined) {
            const id = Number(event.id);
            this.counts.set(id, (this.counts.get(id) ?? 0) + 1);
            this.dataById.set(id, event.data);
            this.order.push({ id, at });
        }
        this.#notify();
    }

    #notify() {
        for (const waiter of this.waiters) waiter();
    }

    has(id) {
        return this.counts.has(id);
    }

    /** Resolves true once predicate() holds (checked at each event), false after `ms`. */
    waitFor(predicate, ms) {
        return new Promise((resolve) => {
            const check = () => {
                if (predicate()) finish(true);
                else if (this.closed) finish(predicate());
            };
            const finish = (value) => {
                clearTimeout(timer);
                this.waiters.delete(check);
                resolve(value);
            };
            const timer = setTimeout(() => finish(predicate()), ms);
            this.waiters.add(check);
            check();
        });
    }

    close() {
        this.controller.abort();
    }
}

/** Waits until every client satisfies predicate(client), or `ms` pass. */
async function allClients(clients, predicate, ms) {
    const results = await Promise.all(clients.map((client) => client.waitFor(() => predicate(client), ms)));
    return results.every(Boolean);
}

/** What one logical client (a stream and the ones that resumed it) received. */
function view(...clients) {
    const counts = new Map();
    const dataById = new Map();
    for (const client of clients) {
        for (const [id, count] of client.counts) counts.set(id, (counts.get(id) ?? 0) + count);
        for (const [id, data] of client.dataById) dataById.set(id, data);
    }
    return { counts, dataById, resets: clients.flatMap((client) => client.resets), errors: clients.map((client) => client.error).filter(Boolean) };
}

/**
 * Compares what each logical client received with the ids it should have got. A reset covers the ids
 * up to its own id when that id is one the channel gave (`realIds`): the client reloads then.
 */
function assess(views, expectedIds, realIds = new Set(expectedIds)) {
    let losses = 0;
    let duplicates = 0;
    let resets = 0;
    const delivered = [];
    const lostEvents = new Set();
    const perClient = [];
    for (const each of views) {
        const covering = each.resets.filter((reset) => realIds.has(reset.id)).map((reset) => reset.id);
        const coverUpTo = covering.length ? Math.max(...covering) : -Infinity;
        let got = 0;
        let lost = 0;
        for (const id of expectedIds) {
            if (each.counts.has(id)) got++;
            else if (id > coverUpTo) {
                lost++;
                lostEvents.add(id);
            }
        }
        for (const count of each.counts.values()) duplicates += count - 1;
        losses += lost;
        resets += each.resets.length;
        delivered.push(got);
        perClient.push({ got, lost, resets: each.resets.length, errors: each.errors });
    }
    return { delivered: delivered.length ? [Math.min(...delivered), Math.max(...delivered)] : null, losses, lostEvents: lostEvents.size, duplicates, resets, perClient };
}

function row(scenario, tally, assessment, figure, details = {}) {
    return {
        scenario,
        published: tally?.published ?? null,
        accepted: tally ? tally.acceptedIds.length : null,
        refused: tally?.refused ?? null,
        delivered: assessment?.delivered ?? null,
        losses: assessment?.losses ?? null,
        duplicates: assessment?.duplicates ?? null,
        resets: assessment?.resets ?? null,
        figure,
        details: { statuses: tally?.byStatus(), ...details, perClient: assessment?.perClient },
    };
}

const seconds = (ms) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
const median = (values) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)] : NaN;
};

/** Two vshs processes, A and B, on one new Redis. */
async function pairOnRedis(ctx, { historyA, historyB, preloadA } = {}) {
    const redis = await startRedis(ctx);
    const [A, B] = await Promise.all([startVshs(ctx, "A", { redis, history: historyA, preload: preloadA }), startVshs(ctx, "B", { redis, history: historyB })]);
    return { redis, A, B };
}

async function openClients(ctx, url, count, options) {
    const clients = Array.from({ length: count }, () => new StreamClient(ctx, url, options));
    await Promise.all(clients.map((client) => client.opened));
    return clients;
}

/**
 * A connection of our own to Redis speaking RESP2, for commands that must go out at once (redis-cli
 * takes milliseconds to start, and the vshs subscriber reconnects within about one).
 */
async function redisConnection(ctx, port) {
    const socket = net.connect(port, "127.0.0.1");
    ctx.sockets.add(socket);
    await new Promise((resolve, reject) => (socket.once("connect", resolve), socket.once("error", reject)));
    socket.setNoDelay(true);
    let buffer = Buffer.alloc(0);
    const waiting = [];
    /** One reply parsed from buffer at `at`: [value, next] or undefined if incomplete. */
    const parse = (at) => {
        const lineEnd = buffer.indexOf("\r\n", at);
        if (lineEnd === -1) return undefined;
        const type = String.fromCharCode(buffer[at]);
        const text = buffer.toString("utf8", at + 1, lineEnd);
        if (type === "+") return [text, lineEnd + 2];
        if (type === "-") return [new Error(text), lineEnd + 2];
        if (type === ":") return [Number(text), lineEnd + 2];
        if (type === "$") {
            const length = Number(text);
            if (length === -1) return [null, lineEnd + 2];
            if (buffer.length < lineEnd + 2 + length + 2) return undefined;
            return [buffer.toString("utf8", lineEnd + 2, lineEnd + 2 + length), lineEnd + 2 + length + 2];
        }
        if (type === "*") {
            const count = Number(text);
            const items = [];
            let next = lineEnd + 2;
            for (let index = 0; index < count; index++) {
                const item = parse(next);
                if (item === undefined) return undefined;
                items.push(item[0]);
                next = item[1];
            }
            return [items, next];
        }
        throw new Error(`unexpected RESP type ${type}`);
    };
    socket.on("data", (chunk) => {
        buffer = Buffer.concat([buffer, chunk]);
        for (let reply = parse(0); reply !== undefined; reply = parse(0)) {
            buffer = buffer.subarray(reply[1]);
            waiting.shift()?.(reply[0]);
        }
    });
    socket.on("error", () => {});
    return {
        /** Sends a command; resolves with its reply (an Error for an error reply). */
        send(...args) {
            socket.write(`*${args.length}\r\n` + args.map((arg) => `$${Buffer.byteLength(String(arg))}\r\n${arg}\r\n`).join(""));
            return new Promise((resolve) => waiting.push(resolve));
        },
        close: () => socket.destroy(),
    };
}

async function pubsubClients(redis) {
    return (await redis.cli("CLIENT", "LIST", "TYPE", "pubsub")).split("\n").filter((line) => line.startsWith("id=")).length;
}

async function until(ctx, check, ms, every = 50) {
    const end = now() + ms;
    while (now() < end) {
        if (await check()) return true;
        await ctx.sleep(every);
    }
    return false;
}

// --------------------------------------------------------------------------------- scenarios ----

/**
 * 1. A client on B resumes with an unknown Last-Event-ID ("1") on a fresh channel while 20 POSTs to A
 * start. B reads no counter and answers vshs-reset with an id made from ITS clock; A's ids come from
 * A's clock. Events with ids below the reset's are dropped by the stream.
 */
async function resetRace(ctx, skewMs) {
    const label = skewMs ? `reset-race (A clock -${skewMs / 1000} s)` : "reset-race";
    const { A, B } = await pairOnRedis(ctx, { preloadA: skewMs ? writeSkewPreload(skewMs) : undefined });
    const tally = new Tally();
    const views = [];
    let roundsWithLoss = 0;
    let eventsLost = 0;
    let lostBelowReset = 0;
    let fakeResets = 0;
    let maxLateMs = -Infinity;
    const expected = [];
    for (let round = 0; round < P.raceRounds; round++) {
        const name = `race-${rand()}-${round}`;
        const client = new StreamClient(ctx, `${B.url}/ch/${name}`, { lastEventId: "1" });
        const answers = tally.add(await Promise.all(Array.from({ length: P.racePosts }, (_, index) => post(ctx, A.url, name, { round, index }))));
        const ids = answers.filter((answer) => answer.ok).map((answer) => answer.id);
        const real = new Set(ids);
        const complete = () => assess([view(client)], ids, real).losses === 0 && client.resets.length > 0;
        await client.waitFor(complete, P.raceSettleMs);
        client.close();
        const result = assess([view(client)], ids, real);
        views.push({ ...view(client), ids, real });
        expected.push(...ids);
        if (result.losses > 0) {
            roundsWithLoss++;
            eventsLost += result.losses;
            const reset = client.resets[0];
            for (const answer of answers) {
                if (!answer.ok || client.has(answer.id)) continue;
                if (reset && answer.id <= reset.id) lostBelowReset++;
                if (reset) maxLateMs = Math.max(maxLateMs, answer.answeredAt - reset.at);
            }
        }
        for (const reset of client.resets) if (!real.has(reset.id)) fakeResets++;
        if (round % 20 === 19) log(`${label}: ${round + 1}/${P.raceRounds} rounds, ${roundsWithLoss} with losses`);
    }
    // One logical client per round, each with its own channel.
    let losses = 0;
    let duplicates = 0;
    let resets = 0;
    const delivered = [];
    for (const each of views) {
        const result = assess([each], each.ids, each.real);
        losses += result.losses;
        duplicates += result.duplicates;
        resets += result.resets;
        delivered.push(result.delivered[0]);
    }
    const assessment = { delivered: [Math.min(...delivered), Math.max(...delivered)], losses, duplicates, resets };
    const late = Number.isFinite(maxLateMs) ? `; lost events were answered up to ${Math.round(maxLateMs)} ms after the reset reached the client` : "";
    return row(label, tally, assessment, `${roundsWithLoss}/${P.raceRounds} rounds lost events (${eventsLost} events, ${lostBelowReset} with ids below the reset's)${late}`, {
        roundsWithLoss,
        eventsLost,
        lostBelowReset,
        resetsWithAnIdNeverGiven: fakeResets,
        serverLogA: serverLog(A).slice(0, 20),
        serverLogB: serverLog(B).slice(0, 20),
    });
}

/**
 * 2. B paused (SIGSTOP) while Redis drops its subscriber connection and 1,100 events go to A
 * (history 1000); B resumes with 10 clients connected.
 */
async function subscriptionDrop(ctx) {
    const { redis, A, B } = await pairOnRedis(ctx, { historyA: P.dropHistory, historyB: P.dropHistory });
    const name = `drop-${rand()}`;
    const clients = await openClients(ctx, `${B.url}/ch/${name}`, P.dropClients);
    const warm = await post(ctx, A.url, name, { warm: true });
    if (!(await allClients(clients, (client) => client.has(warm.id), 5000))) throw new Error("the clients on B did not get the first event");
    B.signal("SIGSTOP");
    const tally = new Tally();
    let phase1;
    try {
        await redis.cli("CLIENT", "KILL", "TYPE", "pubsub");
        // A's subscriber comes back by itself; B's cannot while it is stopped.
        if (!(await until(ctx, async () => (await pubsubClients(redis)) >= 1, 5000))) throw new Error("A's subscriber did not come back");
        const pad = "x".repeat(50);
        tally.add(await pool(P.dropEvents, P.fillConcurrency, (index) => post(ctx, A.url, name, { index, pad })));
    } finally {
        B.signal("SIGCONT");
    }
    const resumedAt = now();
    const ids = tally.acceptedIds;
    await ctx.sleep(P.dropWaitMs);
    phase1 = assess(clients.map((client) => view(client)), ids);
    const subscribersAfter = await pubsubClients(redis);
    const extra = tally.add(await post(ctx, A.url, name, { extra: true }));
    await allClients(clients, (client) => client.has(extra.id), 3000);
    await ctx.sleep(300);
    const allIds = tally.acceptedIds;
    const phase2 = assess(clients.map((client) => view(client)), allIds);
    const range = ([min, max]) => (min === max ? `${min}` : `${min}–${max}`);
    return row(
        "subscription-drop",
        tally,
        phase2,
        `${seconds(P.dropWaitMs)} after SIGCONT: ${range(phase1.delivered)}/${ids.length} per client, ${phase1.resets} resets; after 1 more post: ${range(phase2.delivered)}/${allIds.length}`,
        {
            afterResume: { delivered: phase1.delivered, losses: phase1.losses, resets: phase1.resets, pubsubClientsInRedis: subscribersAfter, measuredMsAfterSigcont: Math.round(now() - resumedAt) },
            afterOneMorePost: { delivered: phase2.delivered, losses: phase2.losses, lostEvents: phase2.lostEvents, resets: phase2.resets },
            serverLogA: serverLog(A).slice(0, 20),
            serverLogB: serverLog(B).slice(0, 20),
        },
    );
}

/**
 * 3. Redis hangs (SIGSTOP) while 128 POSTs go to A; SIGCONT after `pauseMs`. Counts the answers by
 * status and time, and the refused events that still reached the stream clients (one on A, one on B).
 */
async function hungRedis(ctx, pauseMs) {
    const { redis, A, B } = await pairOnRedis(ctx);
    const name = `hung-${rand()}`;
    const clients = [...(await openClients(ctx, `${A.url}/ch/${name}`, 1)), ...(await openClients(ctx, `${B.url}/ch/${name}`, 1))];
    const warm = await post(ctx, A.url, name, { warm: true });
    if (!(await allClients(clients, (client) => client.has(warm.id), 5000))) throw new Error("the clients did not get the first event");
    const tally = new Tally();
    redis.proc.signal("SIGSTOP");
    const stoppedAt = now();
    let answers;
    try {
        const pending = Promise.all(Array.from({ length: P.hungPosts }, (_, index) => post(ctx, A.url, name, { k: `${name}:${index}` }, P.hungClientTimeoutMs)));
        await ctx.sleep(pauseMs);
        redis.proc.signal("SIGCONT");
        answers = tally.add(await pending);
    } finally {
        redis.proc.signal("SIGCONT");
    }
    await ctx.sleep(2000);
    const ids = tally.acceptedIds;
    const assessment = assess(clients.map((client) => view(client)), ids);
    // Refused events that were published anyway: found by their body in what the streams received.
    const seen = new Map(); // key -> clients that got it
    clients.forEach((client, which) => {
        for (const data of client.dataById.values()) {
            try {
                const key = JSON.parse(data).k;
                if (key !== undefined) seen.set(key, (seen.get(key) ?? new Set()).add(which));
            } catch {}
        }
    });
    const refused = answers.filter((answer) => !answer.ok);
    const refusedDelivered = refused.filter((answer) => seen.has(answer.body.k)).length;
    const refusedDeliveredToAll = refused.filter((answer) => seen.get(answer.body.k)?.size === clients.length).length;
    const byStatus = {};
    for (const answer of answers) {
        const entry = (byStatus[answer.status] ??= { count: 0, ms: [] });
        entry.count++;
        entry.ms.push(answer.ms);
    }
    const statusText = Object.entries(byStatus)
        .map(([status, { count, ms }]) => `${count}×${status} at ${seconds(Math.min(...ms))}–${seconds(Math.max(...ms))}`)
        .join(", ");
    return row(`hung-redis (${pauseMs / 1000} s)`, tally, assessment, `${statusText}; refused but delivered: ${refusedDelivered}/${refused.length}${refused.length ? ` (to all ${clients.length} stream clients: ${refusedDeliveredToAll})` : ""}`, {
        pauseMs,
        answers: Object.fromEntries(Object.entries(byStatus).map(([status, { count, ms }]) => [status, { count, minMs: Math.round(Math.min(...ms)), medianMs: Math.round(median(ms)), maxMs: Math.round(Math.max(...ms)) }])),
        refusedDelivered,
        refusedDeliveredToAllClients: refusedDeliveredToAll,
        streamEventsReceived: clients.map((client) => client.counts.size),
        sampleRefusedAnswer: refused[0]?.text ?? refused[0]?.error,
        serverLogA: serverLog(A).slice(0, 20),
        serverLogB: serverLog(B).slice(0, 20),
        stoppedForMs: Math.round(now() - stoppedAt),
    });
}

/**
 * 4. A keeps no history, B keeps 100, on one Redis; POSTs alternate A/B. A client on B leaves, more
 * POSTs go to both, and it resumes on B with its Last-Event-ID.
 */
async function historyMismatch(ctx) {
    // One after the other, so that B is the one that meets a setting different from its own.
    const redis = await startRedis(ctx);
    const A = await startVshs(ctx, "A", { redis, history: P.mismatchHistoryA });
    let B;
    try {
        B = await startVshs(ctx, "B", { redis, history: P.mismatchHistoryB });
    } catch (error) {
        // A checkout may refuse the mismatch at start-up: that is this scenario's outcome.
        const said = String(error.message).split("\n").slice(1).filter((line) => line.trim() !== "");
        if (!/exited before/.test(error.message)) throw error;
        return row("history-mismatch", null, null, `B (history ${P.mismatchHistoryB}) refused to start beside A (history ${P.mismatchHistoryA}): "${said.at(-1)?.slice(0, 160)}"`, { refusedToStart: true, serverOutputB: said });
    }
    const name = `mismatch-${rand()}`;
    const tally = new Tally();
    const postAlternating = async (count) => {
        const answers = [];
        for (let index = 0; index < count; index++) {
            const server = tally.published % 2 === 0 ? A : B;
            const answer = tally.add(await post(ctx, server.url, name, { via: server.label, index }));
            answer.via = server.label;
            answers.push(answer);
        }
        return answers;
    };
    const [first] = await openClients(ctx, `${B.url}/ch/${name}`, 1);
    const before = await postAlternating(P.mismatchBefore);
    await first.waitFor(() => before.every((answer) => !answer.ok || first.has(answer.id)), 3000);
    const lastEventId = first.lastEventId;
    first.close();
    await first.done;
    const away = await postAlternating(P.mismatchWhileAway);
    const second = new StreamClient(ctx, `${B.url}/ch/${name}`, { lastEventId });
    await second.opened;
    const after = await postAlternating(P.mismatchAfter);
    const all = tally.acceptedIds;
    await second.waitFor(() => after.every((answer) => !answer.ok || second.has(answer.id)), 3000);
    await ctx.sleep(300);
    const assessment = assess([view(first, second)], all);
    const skipped = away.filter((answer) => answer.ok && !second.has(answer.id));
    const skippedVia = {};
    for (const answer of skipped) skippedVia[answer.via] = (skippedVia[answer.via] ?? 0) + 1;
    return row(
        "history-mismatch",
        tally,
        assessment,
        `resumed on B: ${skipped.length}/${away.length} events published while away skipped (${Object.entries(skippedVia)
            .map(([via, count]) => `${count} via ${via}`)
            .join(", ") || "none"}), ${second.resets.length} resets`,
        { lastEventId, skipped: skipped.length, skippedVia, resetsOnResume: second.resets.length, serverLogB: serverLog(B).slice(0, 20) },
    );
}

/**
 * 5. B's subscription dropped by Redis (CLIENT KILL TYPE pubsub; B not paused) and 3 POSTs to A right
 * away; 10 clients on B. The vshs subscriber reconnects within about a millisecond, so to make the drop
 * last (a network blip) Redis refuses new connections (CONFIG SET maxclients 1) for `holdMs` after the
 * kill; holdMs 0 leaves it to the race. "warm": the channel had an event on B before; "cold": not.
 */
async function quietChannel(ctx, { warm, holdMs }) {
    const { redis, A, B } = await pairOnRedis(ctx);
    const control = await redisConnection(ctx, redis.port);
    const name = `quiet-${rand()}`;
    const clients = await openClients(ctx, `${B.url}/ch/${name}`, P.quietClients);
    const tally = new Tally();
    if (warm) {
        const first = await post(ctx, A.url, name, { warm: true });
        if (!(await allClients(clients, (client) => client.has(first.id), 5000))) throw new Error("the clients on B did not get the first event");
    }
    let three;
    const killedAt = now();
    if (holdMs > 0) {
        await control.send("CONFIG", "SET", "maxclients", "1");
        try {
            const killed = await control.send("CLIENT", "KILL", "TYPE", "pubsub");
            if (killed instanceof Error || killed < 2) throw new Error(`CLIENT KILL TYPE pubsub: ${killed}`);
            three = [];
            for (let index = 0; index < P.quietPosts; index++) three.push(tally.add(await post(ctx, A.url, name, { index })));
            await ctx.sleep(Math.max(0, killedAt + holdMs - now()));
        } finally {
            await control.send("CONFIG", "SET", "maxclients", "10000");
        }
    } else {
        // The POSTs leave together with the kill.
        const killed = control.send("CLIENT", "KILL", "TYPE", "pubsub");
        three = tally.add(await Promise.all(Array.from({ length: P.quietPosts }, (_, index) => post(ctx, A.url, name, { index }))));
        await killed;
    }
    const postedMs = now() - killedAt;
    await ctx.sleep(Math.max(0, killedAt + P.quietWaitMs - now()));
    const threeIds = three.filter((answer) => answer.ok).map((answer) => answer.id);
    const haveAll = () => clients.filter((client) => threeIds.every((id) => client.has(id))).length;
    const afterWait = haveAll();
    const missedByB = threeIds.filter((id) => clients.every((client) => !client.has(id))).length;
    const subscribers = await pubsubClients(redis);
    const fourth = tally.add(await post(ctx, A.url, name, { fourth: true }));
    await allClients(clients, (client) => client.has(fourth.id), 3000);
    await ctx.sleep(300);
    const afterFourth = haveAll();
    const gotFourth = clients.filter((client) => client.has(fourth.id)).length;
    const assessment = assess(clients.map((client) => view(client)), tally.acceptedIds);
    const drop = holdMs > 0 ? `drop held ${seconds(holdMs)}` : "drop not held";
    return row(
        `quiet-channel (${warm ? "warm" : "cold"}, ${holdMs > 0 ? `${holdMs} ms` : "race"})`,
        tally,
        assessment,
        `${drop}; clients with all ${P.quietPosts}: ${afterWait}/${clients.length} after ${seconds(P.quietWaitMs)}, ${afterFourth}/${clients.length} after one more post (which ${gotFourth} got)`,
        {
            warm,
            holdMs,
            postedWithinMsOfKill: Math.round(postedMs),
            eventsMissedByEveryClientAfterWait: missedByB,
            pubsubClientsInRedisAfterWait: subscribers,
            afterWait,
            afterFourth,
            gotFourth,
            serverLogB: serverLog(B).slice(0, 20),
        },
    );
}

/**
 * 6. N clients resume at once, each one event behind, on a channel whose history (1000) is full:
 * through Redis (one vshs process) and within the process (no --redis).
 */
async function reconnectStorm(ctx, viaRedis) {
    const redis = viaRedis ? await startRedis(ctx) : undefined;
    const server = await startVshs(ctx, viaRedis ? "redis" : "local", { redis });
    const name = `storm-${rand()}`;
    const tally = new Tally();
    const pad = "x".repeat(P.stormEventBytes);
    tally.add(await pool(P.stormFill, P.fillConcurrency, (index) => post(ctx, server.url, name, { index, pad })));
    const ids = tally.acceptedIds;
    const last = Math.max(...ids);
    if (!ids.includes(last - 1)) throw new Error(`the ids are not consecutive at the end: ${last - 1} missing`);
    const rows = [];
    for (const size of P.stormSizes) {
        const startedAt = now();
        const clients = Array.from({ length: size }, () => new StreamClient(ctx, `${server.url}/ch/${name}`, { lastEventId: String(last - 1) }));
        const times = await Promise.all(clients.map((client) => client.waitFor(() => client.has(last), P.stormPatienceMs).then((got) => (got ? client.order.find((each) => each.id === last).at - startedAt : Infinity))));
        const finite = times.filter(Number.isFinite);
        const assessment = assess(clients.map((client) => view(client)), [last], new Set(ids));
        // Each resumed client should get exactly one event (the one it missed).
        const extraEvents = clients.reduce((sum, client) => sum + [...client.counts.keys()].filter((id) => id !== last).length, 0);
        const errors = clients.map((client) => client.error).filter(Boolean);
        for (const client of clients) client.close();
        await Promise.all(clients.map((client) => client.done));
        const figure =
            finite.length === size
                ? `all ${size} had the missed event in ${seconds(Math.max(...finite))} (median ${seconds(median(finite))})`
                : `${finite.length}/${size} had it within ${seconds(P.stormPatienceMs)}`;
        rows.push(
            row(`reconnect-storm (${viaRedis ? "redis" : "in-process"}, ${size})`, tally, assessment, figure, {
                clients: size,
                allMs: finite.length === size ? Math.round(Math.max(...finite)) : null,
                medianMs: Math.round(median(finite)),
                got: finite.length,
                extraEvents,
                errors: errors.slice(0, 5),
                errorCount: errors.length,
                serverLog: serverLog(server).slice(0, 20),
            }),
        );
        log(`reconnect-storm ${viaRedis ? "redis" : "in-process"} ${size}: ${figure}`);
        await ctx.sleep(500);
    }
    return rows;
}

/**
 * 7. A raw TCP client asks for a stream and never reads; 200 events/s of ~1 KiB are published. How many
 * bytes reach it before the server cuts it off, after how long, and what the server logs.
 */
async function slowConsumer(ctx) {
    const server = await startVshs(ctx, "slow", { quiet: false });
    const name = `slow-${rand()}`;
    const { port, hostname } = new URL(server.url);
    const socket = new net.Socket();
    ctx.sockets.add(socket);
    socket.pause(); // never reads: not even the answer's headers
    let socketEnd = null;
    socket.on("error", (error) => (socketEnd ??= `error ${error.code ?? error.message}`));
    socket.on("end", () => (socketEnd ??= "end (FIN)"));
    const from = server.proc.output.length;
    await new Promise((resolve, reject) => {
        socket.once("error", reject);
        socket.connect(Number(port), hostname, () => {
            socket.off("error", reject);
            resolve();
        });
    });
    socket.write(`GET /probe/${name} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAccept: text/event-stream\r\n\r\n`);
    const [, openedAtText] = await server.proc.waitFor(new RegExp(`FAULTS-PROBE open ${name} (\\d+)`), 5000, from);
    const openedAt = Number(openedAtText);
    const tally = new Tally();
    const pad = "x".repeat(Math.max(0, P.slowEventBytes - 40));
    const closedPattern = new RegExp(`FAULTS-PROBE closed ${name} (\\d+)`);
    const isClosed = () => closedPattern.exec(server.proc.output.slice(from));
    const tickMs = 50;
    const perTick = Math.max(1, Math.round((P.slowRatePerS * tickMs) / 1000));
    const start = now();
    const inFlight = [];
    let published = 0;
    let publishedAtCutOff;
    for (let tick = 0; now() - start < P.slowMaxMs && !isClosed(); tick++) {
        for (let index = 0; index < perTick; index++) inFlight.push(post(ctx, server.url, name, { n: published++, pad }).then((answer) => tally.add(answer)));
        const next = start + (tick + 1) * tickMs;
        await ctx.sleep(Math.max(0, next - now()));
    }
    await Promise.all(inFlight);
    const closed = isClosed();
    publishedAtCutOff = published;
    const closedAt = closed ? Number(closed[1]) : null;
    // Now read everything the server managed to hand to the socket.
    let bytes = 0;
    let received = "";
    socket.on("data", (chunk) => {
        bytes += chunk.length;
        received += chunk.toString("latin1");
    });
    const ended = new Promise((resolve) => socket.once("close", resolve));
    socket.resume();
    await Promise.race([ended, ctx.sleep(closed ? 10_000 : 2000)]);
    const events = (received.match(/\nevent: item\n/g) ?? []).length + (received.match(/^event: item\n/g) ?? []).length;
    const headerEnd = received.indexOf("\r\n\r\n");
    // The access log (the server runs without --quiet here): the POSTs, and the warm-up stream, are expected.
    const accessLine = /^\d{4}-\d\d-\d\dT\S+Z [A-Z]+ \S+ \d{3} /;
    const logged = serverLog(server, (line) => (/ POST \/ch\//.test(line) && / 200 /.test(line)) || / \/ch\/warm-/.test(line));
    const warnings = logged.filter((line) => !accessLine.test(line));
    const probeAccess = logged.find((line) => line.includes(`/probe/${name} `));
    const seconds_ = closedAt ? (closedAt - openedAt) / 1000 : null;
    const figure = closed
        ? `cut off after ${seconds_.toFixed(1)} s; ${(bytes / 1048576).toFixed(2)} MiB (${bytes} bytes, ${events} events) reached the socket; server logged ${warnings.length ? `${warnings.length} line(s) besides its access log` : "no warning"}${probeAccess ? ` (access log: "${probeAccess.replace(/^\S+ /, "")}")` : ""}`
        : `not cut off within ${seconds(P.slowMaxMs)}; ${bytes} bytes reached the socket`;
    const assessment = { delivered: [events, events], losses: null, duplicates: null, resets: (received.match(/event: vshs-reset/g) ?? []).length };
    return row("slow-consumer", tally, assessment, figure, {
        cutOff: Boolean(closed),
        secondsToCutOff: seconds_,
        bytesReachedSocket: bytes,
        eventsReachedSocket: events,
        eventsPublishedBeforeCutOff: publishedAtCutOff,
        responseHead: headerEnd === -1 ? received.slice(0, 300) : received.slice(0, headerEnd),
        socketEnd,
        serverWarnings: warnings.slice(0, 20),
        serverAccessLog: logged.filter((line) => accessLine.test(line)).slice(0, 20),
    });
}

const scenarios = [
    { name: "reset-race", run: async (ctx) => [await resetRace(ctx, 0)] },
    { name: "reset-race", label: "reset-race (A clock behind)", run: async (ctx) => [await resetRace(ctx, P.raceSkewMs)] },
    { name: "subscription-drop", run: async (ctx) => [await subscriptionDrop(ctx)] },
    ...P.hungPausesMs.map((pauseMs) => ({ name: "hung-redis", label: `hung-redis (${pauseMs / 1000} s)`, timeoutMs: pauseMs + 30_000, run: async (ctx) => [await hungRedis(ctx, pauseMs)] })),
    { name: "history-mismatch", run: async (ctx) => [await historyMismatch(ctx)] },
    ...P.quietVariants.map((variant) => ({ name: "quiet-channel", label: `quiet-channel (${variant.warm ? "warm" : "cold"}, hold ${variant.holdMs} ms)`, run: async (ctx) => [await quietChannel(ctx, variant)] })),
    { name: "reconnect-storm", label: "reconnect-storm (redis)", timeoutMs: 90_000, run: (ctx) => reconnectStorm(ctx, true) },
    { name: "reconnect-storm", label: "reconnect-storm (in-process)", timeoutMs: 90_000, run: (ctx) => reconnectStorm(ctx, false) },
    { name: "slow-consumer", timeoutMs: P.slowMaxMs + 30_000, run: async (ctx) => [await slowConsumer(ctx)] },
];

// -------------------------------------------------------------------------------------- main ----

function printTable(rows) {
    const range = (value) => (value == null ? "-" : value[0] === value[1] ? String(value[0]) : `${value[0]}–${value[1]}`);
    const cell = (value) => (value == null ? "-" : String(value));
    const header = ["scenario", "published", "accepted", "refused", "delivered/client", "losses", "dups", "resets", "figure"];
    const lines = rows.map((each) =>
        each.error
            ? [each.scenario, "-", "-", "-", "-", "-", "-", "-", `FAILED: ${each.error.split("\n")[0]}`]
            : [each.scenario, cell(each.published), cell(each.accepted), cell(each.refused), range(each.delivered), cell(each.losses), cell(each.duplicates), cell(each.resets), each.figure],
    );
    const widths = header.map((title, column) => Math.max(title.length, ...lines.slice().map((line) => (column === header.length - 1 ? 0 : line[column].length))));
    const format = (line) => line.map((text, column) => (column === line.length - 1 ? text : column === 0 ? text.padEnd(widths[column]) : text.padStart(widths[column]))).join("  ");
    console.log(format(header));
    console.log(widths.map((width, column) => "-".repeat(column === header.length - 1 ? 40 : width)).join("  "));
    for (const line of lines) console.log(format(line));
}

async function main() {
    const known = new Set(scenarios.map((each) => each.name));
    for (const name of only ?? []) if (!known.has(name)) usage(`unknown scenario ${name} (known: ${[...known].join(", ")})`);
    const selected = scenarios.filter((each) => !only || only.includes(each.name));
    rmSync(tmpDir, { recursive: true, force: true });
    writeRoutes();
    const rows = [];
    const startedAt = now();
    log(`vshs at ${repo} (${cliPath}); ${selected.length} runs`);
    for (const scenario of selected) {
        const label = scenario.label ?? scenario.name;
        const ctx = new Context(label);
        const timeoutMs = scenario.timeoutMs ?? P.scenarioTimeoutMs;
        const t0 = now();
        log(`${label}: start (bound ${seconds(timeoutMs)})`);
        let timer;
        try {
            const running = scenario.run(ctx);
            running.catch(() => {}); // past the bound, its processes are killed and it fails on its own
            const result = await Promise.race([
                running,
                new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`did not finish within ${seconds(timeoutMs)}`)), timeoutMs))),
            ]);
            for (const each of result) each.details.durationMs = Math.round(now() - t0);
            rows.push(...result);
            for (const each of result) log(`${each.scenario}: ${each.figure}`);
        } catch (error) {
            log(`${label}: FAILED: ${error?.stack ?? error}`);
            rows.push({ scenario: label, error: String(error?.message ?? error), details: { durationMs: Math.round(now() - t0) } });
        } finally {
            clearTimeout(timer);
            await ctx.cleanup();
        }
    }
    removeTmp();
    console.log(`\nvshs channel faults: ${repo} (${seconds(now() - startedAt)})\n`);
    printTable(rows);
    if (jsonFile) {
        mkdirSync(path.dirname(path.resolve(jsonFile)), { recursive: true });
        writeFileSync(jsonFile, JSON.stringify({ repo, node: process.version, date: new Date().toISOString(), parameters: P, rows }, null, 2) + "\n");
        console.log(`\nJSON: ${path.resolve(jsonFile)}`);
    }
    // Streams the server never ended must not keep the process alive.
    process.exit(rows.some((each) => each.error) ? 1 : 0);
}

main().catch((error) => {
    console.error(error);
    process.exit(1);
});
