/**
 * Load and resource robustness: a vshs server in a child process of its own (so that only its memory is
 * measured), real sockets, real HTTP. Stalled half-requests must not hold up other clients; a long run
 * of keep-alive requests must not grow the server's memory; event streams opened and dropped by the
 * thousand must each run their onConnectionClosed and leave the memory where it was.
 * Sizes shrink with ROBUST_BOUNDED=1 (see scale.ts); every figure measured is reported.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { test, type TestContext } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { report, scaled } from "./scale.ts";

const repoRoot = path.resolve(import.meta.dirname, "../..");
const serverScript = path.join(import.meta.dirname, "fixtures/load/server.ts");
const MiB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------------
// The server process

interface LoadServer {
    url: string;
    port: number;
    /** What the server has written to stderr so far (errors it logged). */
    stderr(): string;
    /** Kills the process (if still running) and waits for it to end. */
    stop(): Promise<void>;
}

const children = new Set<ChildProcess>();
// Whatever happens to the tests, no server outlives this file.
process.once("exit", () => children.forEach((child) => child.kill("SIGKILL")));

/** Starts `node --expose-gc --import tsx fixtures/load/server.ts`, killed when the test ends. */
async function startLoadServer(t: TestContext): Promise<LoadServer> {
    const child = spawn(process.execPath, ["--expose-gc", "--import", "tsx", serverScript], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
    children.add(child);
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    let stdout = "";
    let stderr = "";
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const stop = async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
        await Promise.race([exited, sleep(5000)]);
        children.delete(child);
    };
    t.after(stop);
    const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the load server printed no URL within 20 s:\n${stdout}${stderr}`)), 20_000);
        child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
            stdout += chunk;
            const found = /http:\/\/\S+/.exec(stdout);
            if (found) {
                clearTimeout(timer);
                resolve(found[0]);
            }
        });
        child.once("exit", (code, signal) => {
            clearTimeout(timer);
            reject(new Error(`the load server exited (${code ?? signal}) before printing its URL:\n${stdout}${stderr}`));
        });
    });
    return { url, port: Number(new URL(url).port), stderr: () => stderr, stop };
}

interface Stats {
    rss: number;
    heapTotal: number;
    heapUsed: number;
    external: number;
    arrayBuffers: number;
    opened: number;
    closed: number;
    open: number;
    slowHandled: number;
    slowOpened: number;
    slowClosed: number;
}

/** The server's memory after garbage collection, and its event stream counts (GET /stats, on a connection of its own). */
async function stats(server: LoadServer): Promise<Stats> {
    const reply = await send(`${server.url}/stats`, { agent: false });
    assert.equal(reply.status, 200, `GET /stats answered ${reply.status}: ${reply.body}`);
    return JSON.parse(reply.body) as Stats;
}

/** Polls /stats until `done` holds; fails with the last figures after `ms`. */
async function waitForStats(server: LoadServer, done: (stats: Stats) => boolean, what: string, ms: number): Promise<Stats> {
    const deadline = performance.now() + ms;
    for (;;) {
        const current = await stats(server);
        if (done(current)) return current;
        if (performance.now() > deadline) assert.fail(`${what}: not so within ${ms} ms; last /stats: ${JSON.stringify(current)}`);
        await sleep(50);
    }
}

// ---------------------------------------------------------------------------------------------------
// HTTP client helpers

interface Reply {
    status: number;
    body: string;
    /** The client side's port of the connection that carried the request. */
    localPort: number | undefined;
}

interface SendOptions {
    method?: string;
    body?: string;
    headers?: Record<string, string>;
    agent?: http.Agent | false;
    /** Idle time on the socket before the request fails (default 10 s): a request never hangs a test. */
    timeoutMs?: number;
    onSocket?: (socket: net.Socket) => void;
}

/** One request, its whole answer read. */
function send(url: string, options: SendOptions = {}): Promise<Reply> {
    return new Promise((resolve, reject) => {
        const headers: Record<string, string> = { ...options.headers };
        if (options.body !== undefined) headers["content-length"] = String(Buffer.byteLength(options.body));
        const timeoutMs = options.timeoutMs ?? 10_000;
        const req = http.request(url, { method: options.method ?? "GET", headers, agent: options.agent, timeout: timeoutMs }, (res) => {
            const localPort = res.socket.localPort;
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (chunk: string) => (body += chunk));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body, localPort }));
            res.on("error", reject);
        });
        req.on("timeout", () => req.destroy(new Error(`${options.method ?? "GET"} ${url}: no answer within ${timeoutMs} ms`)));
        req.on("error", reject);
        if (options.onSocket) req.on("socket", options.onSocket);
        req.end(options.body);
    });
}

/** Rejects after `ms` unless `promise` settles first. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: not done within ${ms} ms`)), ms);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const mib = (bytes: number) => Math.round((bytes / MiB) * 10) / 10;
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Errors the server logged: lines of its stderr that start a message (not a stack frame, not the end of an object). */
function errorsLogged(server: LoadServer): number {
    return server.stderr().split("\n").filter((line) => /^\S/.test(line) && line !== "}").length;
}

/** Fails with what the server wrote to stderr, if anything: a summary line per distinct first line, then the start of it. */
function assertNoServerErrors(server: LoadServer, when = ""): void {
    const logged = server.stderr();
    if (logged === "") return;
    const counts = new Map<string, number>();
    for (const line of logged.split("\n")) if (/^\S/.test(line) && line !== "}") counts.set(line, (counts.get(line) ?? 0) + 1);
    const summary = [...counts].map(([line, n]) => `${n} × ${line}`).join("\n");
    assert.fail(`the server logged errors${when}:\n${summary}\n--- first lines of stderr ---\n${logged.split("\n").slice(0, 12).join("\n")}`);
}

// ---------------------------------------------------------------------------------------------------
// 1. Stalled half-requests

interface StalledSocket {
    socket: net.Socket;
    /** Bytes the server sent back (none expected: the request is not complete). */
    received: number;
    closed: boolean;
}

/** Connects and sends part of a request: its head without the final blank line, or a whole head and a few bytes of a 100,000-byte body. */
function openStalled(port: number, kind: "head" | "body", index: number): Promise<StalledSocket> {
    const partial =
        kind === "head"
            ? `GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: stalled-${index}\r\nAccept: text/pl`
            : `POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"stalled": ${index}, "padding": "`;
    return new Promise((resolve, reject) => {
        const stalled: StalledSocket = { socket: net.connect(port, "127.0.0.1"), received: 0, closed: false };
        const { socket } = stalled;
        socket.setTimeout(10_000, () => socket.destroy(new Error("stalled socket: could not connect and write within 10 s")));
        socket.on("data", (chunk: Buffer) => (stalled.received += chunk.length));
        socket.on("close", () => (stalled.closed = true));
        socket.once("error", reject);
        socket.once("connect", () => {
            socket.write(partial, (error) => {
                if (error) return reject(error);
                socket.setTimeout(0);
                socket.off("error", reject);
                socket.on("error", () => {}); // a reset once destroyed or cut off by the server: counted through `closed`
                resolve(stalled);
            });
        });
    });
}

test("200 stalled half-requests do not hold up other clients", { timeout: 60_000 }, async (t) => {
    const server = await startLoadServer(t);
    const count = 200;
    const requests = 20;
    const before = await stats(server);

    const stalled: StalledSocket[] = [];
    try {
        const opening = Array.from({ length: count }, (_, i) => openStalled(server.port, i % 2 === 0 ? "head" : "body", i));
        for (const result of await Promise.allSettled(opening)) if (result.status === "fulfilled") stalled.push(result.value);
        assert.equal(stalled.length, count, "every stalled socket connected and sent its partial request");
        await sleep(200); // the server has read every partial request by now

        const latencies: number[] = [];
        for (let i = 0; i < requests; i++) {
            const started = performance.now();
            const reply = await send(`${server.url}/hello`, { agent: false, timeoutMs: 5000 });
            latencies.push(performance.now() - started);
            assert.equal(reply.status, 200);
            assert.equal(reply.body, "Hello World");
        }
        const during = await stats(server);
        const stillStalled = stalled.filter((s) => !s.closed).length;
        const answered = stalled.filter((s) => s.received > 0).length;
        const maxLatency = Math.max(...latencies);
        const meanLatency = latencies.reduce((sum, ms) => sum + ms, 0) / latencies.length;
        const loggedWhileStalled = server.stderr();

        for (const s of stalled) s.socket.destroy();
        await within(
            Promise.all(stalled.map((s) => (s.closed ? undefined : new Promise((resolve) => s.socket.once("close", resolve))))),
            5000,
            "destroying the stalled sockets",
        );
        await sleep(200); // the server has seen every socket close

        // Still healthy: a GET, a POST with a body, and the memory back once the sockets are gone.
        const hello = await send(`${server.url}/hello`, { agent: false, timeoutMs: 5000 });
        assert.equal(hello.status, 200);
        assert.equal(hello.body, "Hello World");
        const echo = await send(`${server.url}/echo`, { method: "POST", body: '{"after":"stalled"}', headers: { "content-type": "application/json" }, agent: false, timeoutMs: 5000 });
        assert.equal(echo.status, 200);
        assert.deepEqual(JSON.parse(echo.body), { after: "stalled" });
        const afterwards = await stats(server);

        report("load: stalled half-requests", {
            stalledSockets: count,
            stalledStillOpenDuringRequests: stillStalled,
            stalledAnsweredByServer: answered,
            normalRequests: requests,
            latencyMaxMs: round(maxLatency),
            latencyMeanMs: round(meanLatency),
            rssBeforeMiB: mib(before.rss),
            rssStalledMiB: mib(during.rss),
            rssAfterMiB: mib(afterwards.rss),
            serverErrorsLogged: errorsLogged(server),
        });
        assert.ok(maxLatency < 1000, `GET /hello took up to ${round(maxLatency)} ms while ${count} requests stalled (latencies: ${latencies.map((ms) => round(ms)).join(", ")})`);
        assert.equal(loggedWhileStalled, "", "the server logged errors while the requests stalled");
        // A client that goes away in the middle of its request is no failure of the server (nor a handler's exception):
        // nothing to log, let alone a stack trace per client.
        assertNoServerErrors(server, ` once the ${count} stalled clients had gone away (${count / 2} of them in the middle of a body)`);
    } finally {
        for (const s of stalled) s.socket.destroy();
    }
});

// ---------------------------------------------------------------------------------------------------
// 2. Keep-alive requests

test("100,000 keep-alive requests over 64 connections: no error, no growth", { timeout: 240_000 }, async (t) => {
    const server = await startLoadServer(t);
    const total = scaled(100_000, 20_000);
    const firstPart = scaled(10_000, 4_000);
    const connections = 64;
    const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
    t.after(() => agent.destroy());

    const sockets = new Set<net.Socket>();
    const localPorts = new Set<number>();
    const statuses = new Map<number, number>();
    const errors: string[] = [];
    let errorCount = 0;
    let done = 0;
    const noteSocket = (socket: net.Socket) => sockets.add(socket);
    const fail = (message: string) => {
        errorCount++;
        if (errors.length < 5) errors.push(message);
    };

    /** Request number `i`: even numbers GET /hello, odd ones POST /echo with a small JSON body. */
    async function one(i: number): Promise<void> {
        const echo = i % 2 === 1;
        const sent = { i, text: "load test", list: [1, 2, 3] };
        try {
            const reply = echo
                ? await send(`${server.url}/echo`, { method: "POST", body: JSON.stringify(sent), headers: { "content-type": "application/json" }, agent, onSocket: noteSocket })
                : await send(`${server.url}/hello`, { agent, onSocket: noteSocket });
            statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
            localPorts.add(reply.localPort ?? -1);
            if (reply.status !== 200) return fail(`request ${i}: status ${reply.status}: ${reply.body.slice(0, 200)}`);
            if (echo) {
                const got = JSON.parse(reply.body) as typeof sent;
                if (got.i !== i || got.text !== sent.text || got.list.length !== 3) fail(`request ${i}: echoed ${reply.body.slice(0, 200)}`);
            } else if (reply.body !== "Hello World") {
                fail(`request ${i}: GET /hello answered ${reply.body.slice(0, 200)}`);
            }
        } catch (error) {
            fail(`request ${i}: ${error instanceof Error ? error.message : String(error)}`);
        } finally {
            done++;
        }
    }

    /** Requests `from` to `to` - 1, by 64 loops that each send their next request once the last is answered. */
    async function run(from: number, to: number): Promise<number> {
        let next = from;
        const started = performance.now();
        await Promise.all(
            Array.from({ length: connections }, async () => {
                while (next < to) await one(next++);
            }),
        );
        return performance.now() - started;
    }

    const baseline = await stats(server);
    const firstMs = await run(0, firstPart);
    const first = await stats(server);
    const restMs = await run(firstPart, total);
    const end = await stats(server);
    const seconds = (firstMs + restMs) / 1000;

    report("load: keep-alive requests", {
        requests: done,
        connections,
        errors: errorCount,
        status200: statuses.get(200) ?? 0,
        socketsUsed: sockets.size,
        localPortsUsed: localPorts.size,
        seconds: round(seconds, 2),
        reqPerSec: Math.round(done / seconds),
        rssBaselineMiB: mib(baseline.rss),
        [`rssAfter${firstPart}MiB`]: mib(first.rss),
        rssEndMiB: mib(end.rss),
        rssGrowthPercent: round(((end.rss - first.rss) / first.rss) * 100, 2),
        heapFirstMiB: mib(first.heapUsed),
        heapEndMiB: mib(end.heapUsed),
        serverErrorsLogged: errorsLogged(server),
    });
    assert.equal(done, total);
    assert.equal(errorCount, 0, `${errorCount} requests failed, first ones:\n${errors.join("\n")}`);
    assert.deepEqual([...statuses], [[200, total]]);
    assert.ok(sockets.size <= connections, `${sockets.size} sockets were used for ${connections} keep-alive connections`);
    assert.ok(localPorts.size <= connections, `${localPorts.size} local ports were used for ${connections} keep-alive connections`);
    assert.ok(
        end.rss <= first.rss * 1.1,
        `server RSS grew from ${mib(first.rss)} MiB after ${firstPart} requests to ${mib(end.rss)} MiB after ${total} (more than 10%)`,
    );
    assertNoServerErrors(server);
});

// ---------------------------------------------------------------------------------------------------
// 3. Event streams opened and dropped

interface OpenStream {
    req: http.ClientRequest;
    /** Resolves once the headers and the first event have arrived. */
    ready: Promise<void>;
}

function openStream(port: number): OpenStream {
    const req = http.request({ host: "127.0.0.1", port, path: "/stream", headers: { accept: "text/event-stream" }, agent: false });
    const ready = new Promise<void>((resolve, reject) => {
        req.on("error", reject);
        req.on("response", (res) => {
            if (res.statusCode !== 200 || !String(res.headers["content-type"]).startsWith("text/event-stream")) {
                return reject(new Error(`GET /stream answered ${res.statusCode} ${res.headers["content-type"]}`));
            }
            let text = "";
            res.setEncoding("utf8");
            res.on("data", (chunk: string) => {
                text += chunk;
                if (text.includes("event: hello\n")) resolve();
            });
            res.on("error", () => {}); // destroyed by the test
            res.on("end", () => reject(new Error(`the stream ended before its first event: ${JSON.stringify(text)}`)));
        });
    });
    req.end();
    return { req, ready };
}

test("10,000 event streams opened and dropped in waves: every onConnectionClosed runs, memory comes back", { timeout: 300_000 }, async (t) => {
    const server = await startLoadServer(t);
    const total = scaled(10_000, 2_000);
    const waveSize = scaled(1_000, 500);
    const waves = Math.ceil(total / waveSize);
    // V8 grows its young generation to its working size (heapTotal 17 → 42 MiB, RSS +25 to +35 MiB) over
    // the first ~2,000 streams, and never gives it back: a plain node:http server does the same. Two
    // waves first, then the baseline, so that what is measured is what the streams leave behind.
    const warmUpWaves = 2;
    const cold = await stats(server);

    let expected = 0;
    /** Opens `size` streams at once, waits for each one's first event, drops them all, waits until every onConnectionClosed ran. */
    async function wave(label: string, size: number): Promise<{ openMs: number; closeMs: number; stats: Stats }> {
        const started = performance.now();
        const streams = Array.from({ length: size }, () => openStream(server.port));
        let openMs: number;
        try {
            const results = await within(Promise.allSettled(streams.map((s) => s.ready)), 30_000, `opening ${label} (${size} streams)`);
            const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
            assert.equal(failed.length, 0, `${failed.length} of ${size} streams did not open in ${label}: ${String(failed[0]?.reason)}`);
        } finally {
            openMs = performance.now() - started;
            for (const s of streams) s.req.destroy();
        }
        expected += size;
        const dropped = performance.now();
        const settled = await waitForStats(server, (s) => s.opened === expected && s.open === 0, `after ${label}, every dropped stream closed (${expected} opened in all)`, 15_000);
        return { openMs, closeMs: performance.now() - dropped, stats: settled };
    }

    for (let i = 0; i < warmUpWaves; i++) await wave(`warm-up wave ${i + 1}`, waveSize);
    const baseline = await stats(server);
    const openMs: number[] = [];
    const closeMs: number[] = [];
    const rssAfterWave: number[] = [];
    for (let i = 0, left = total; left > 0; i++, left -= waveSize) {
        const result = await wave(`wave ${i + 1}`, Math.min(waveSize, left));
        openMs.push(result.openMs);
        closeMs.push(result.closeMs);
        rssAfterWave.push(result.stats.rss);
    }
    const end = await stats(server);
    const allowed = Math.max(baseline.rss * 0.15, 16 * MiB);

    report("load: event streams in waves", {
        streams: total,
        waves,
        waveSize,
        warmUpStreams: baseline.opened,
        opened: end.opened - baseline.opened,
        closed: end.closed - baseline.closed,
        open: end.open,
        openWaveMaxMs: Math.round(Math.max(...openMs)),
        openWaveMeanMs: Math.round(openMs.reduce((a, b) => a + b, 0) / openMs.length),
        allClosedMaxMs: Math.round(Math.max(...closeMs)),
        rssColdMiB: mib(cold.rss),
        rssBaselineMiB: mib(baseline.rss),
        rssEndMiB: mib(end.rss),
        rssGrowthMiB: mib(end.rss - baseline.rss),
        rssAllowedGrowthMiB: mib(allowed),
        rssPeakAfterWaveMiB: mib(Math.max(...rssAfterWave)),
        rssAfterEachWaveMiB: rssAfterWave.map(mib).join(" "),
        heapTotalColdMiB: mib(cold.heapTotal),
        heapTotalEndMiB: mib(end.heapTotal),
        heapUsedBaselineMiB: mib(baseline.heapUsed),
        heapUsedEndMiB: mib(end.heapUsed),
        serverErrorsLogged: errorsLogged(server),
    });
    assert.equal(end.opened - baseline.opened, total, "streams started");
    assert.equal(end.closed - baseline.closed, total, "streams whose onConnectionClosed ran");
    assert.equal(end.opened, end.closed, "every stream ever started has run its onConnectionClosed");
    assert.equal(end.open, 0);
    assert.ok(
        end.rss - baseline.rss <= allowed,
        `server RSS went from ${mib(baseline.rss)} MiB to ${mib(end.rss)} MiB over ${total} streams (allowed: +${mib(allowed)} MiB)`,
    );
    assertNoServerErrors(server);
});

// ---------------------------------------------------------------------------------------------------
// 4. Event streams whose client leaves before the handler answers

test("event streams whose client left before the handler answered are never left open", { timeout: 60_000 }, async (t) => {
    const server = await startLoadServer(t);
    const count = scaled(1_000, 200);
    const handlerMs = 1000;
    const leaveAfterMs = 10;
    const before = await stats(server);

    // Each client sends a whole request for a stream, then goes away while the handler is still working.
    await within(
        Promise.all(
            Array.from(
                { length: count },
                () =>
                    new Promise<void>((resolve, reject) => {
                        const socket = net.connect(server.port, "127.0.0.1", () => {
                            socket.write(`GET /slow-stream?ms=${handlerMs} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`, () => {
                                setTimeout(() => {
                                    socket.destroy();
                                    resolve();
                                }, leaveAfterMs);
                            });
                        });
                        socket.on("error", reject);
                    }),
            ),
        ),
        20_000,
        `${count} clients asking for a stream and leaving`,
    );
    const handled = await waitForStats(server, (s) => s.slowHandled === count, `all ${count} requests reached the handler`, 10_000);
    await sleep(handlerMs + 500); // every handler has answered by now
    let settled: Stats | undefined;
    let failure: unknown;
    try {
        settled = await waitForStats(server, (s) => s.slowOpened === s.slowClosed, "every stream started for a client that had left was closed", 5_000);
    } catch (error) {
        failure = error;
    }
    const end = settled ?? (await stats(server));
    const hello = await send(`${server.url}/hello`, { agent: false, timeoutMs: 5000 });

    report("load: streams dropped before the handler answered", {
        clients: count,
        handlerMs,
        leftAfterMs: leaveAfterMs,
        handled: handled.slowHandled,
        started: end.slowOpened,
        onConnectionClosedRan: end.slowClosed,
        neverClosed: end.slowOpened - end.slowClosed,
        heapUsedBeforeMiB: mib(before.heapUsed),
        heapUsedAfterMiB: mib(end.heapUsed),
        rssBeforeMiB: mib(before.rss),
        rssAfterMiB: mib(end.rss),
        serverErrorsLogged: errorsLogged(server),
    });
    assert.equal(hello.status, 200);
    assert.equal(
        end.slowClosed,
        end.slowOpened,
        `${end.slowOpened - end.slowClosed} of ${end.slowOpened} streams started for clients that had already left never ran onConnectionClosed (stuck open)`,
    );
    if (failure !== undefined) throw failure;
    assertNoServerErrors(server);
});
