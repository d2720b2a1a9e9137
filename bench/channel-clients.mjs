// `node channel-clients.mjs CONFIG-JSON`: the client side of the channels scenario. Opens the event
// streams (GET /feed) until each server process holds `perProcess` of them, opens the publishers'
// keep-alive connections spread evenly over the processes, publishes `warmup` events, then times
// `events` more: from the first POST /feed until every stream has received every event. Checks that
// each stream got each published id once and in increasing order; prints one line of JSON.
// Plain sockets with HTTP/1.1 pipelining (`depth` requests in flight per connection), so that this
// process costs little next to the servers.
//
// CONFIG: { ports: [port, ...], processes, perProcess, events, warmup, connections, depth, cpuPids: { role: pid }, processName }
// (cpuPids: processes other than those holding the streams whose CPU time to report, e.g. the cluster primary, redis-server)
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import net from "node:net";

const config = JSON.parse(process.argv[2]);
const { ports, processes, perProcess, events, warmup, connections, depth } = config;
// A stuck run fails rather than hangs.
const patience = 120_000;
// Once the last POST is answered, the streams must have every event within this time, or events were lost.
const deliveryPatience = 15_000;

const failures = [];
const fail = (message) => {
    console.error(message);
    process.exit(1);
};
setTimeout(() => fail(`no result within ${patience / 1000} s`), patience).unref();

// ---- subscribers ----

/** One event stream: resolves once its first event ("worker", the pid of the process holding it) has arrived. */
function openStream(port) {
    return new Promise((resolve, reject) => {
        const socket = net.connect(port, "127.0.0.1");
        const stream = { socket, port, pid: 0, raw: "", chunkLeft: -1, tail: "", headersDone: false, ids: [], lastId: -Infinity, outOfOrder: 0, target: Infinity, reachedAt: 0, reached: undefined };
        socket.setEncoding("latin1");
        socket.setNoDelay(true);
        socket.write("GET /feed HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n");
        socket.on("data", (chunk) => {
            stream.raw += chunk;
            if (!stream.headersDone) {
                const end = stream.raw.indexOf("\r\n\r\n");
                if (end === -1) return;
                const head = stream.raw.slice(0, end);
                if (!head.startsWith("HTTP/1.1 200") || !/\r\ntransfer-encoding: *chunked/i.test(head)) return reject(new Error(`GET /feed: not a chunked 200 answer: ${head}`));
                stream.headersDone = true;
                stream.raw = stream.raw.slice(end + 4);
            }
            let text = stream.tail + dechunk(stream);
            let start = 0;
            for (let end = text.indexOf("\n\n"); end !== -1; end = text.indexOf("\n\n", start)) {
                onFrame(stream, text.slice(start, end), resolve);
                start = end + 2;
            }
            stream.tail = text.slice(start);
        });
        socket.on("error", (error) => (stream.pid ? failures.push(`a stream failed: ${error.message}`) : reject(error)));
        socket.on("close", () => {
            if (stream.pid && !stream.closing) failures.push(`the stream held by process ${stream.pid} was closed by the server after ${stream.ids.length} events`);
            if (!stream.pid) reject(new Error("GET /feed closed before its first event"));
        });
    });
}

/** The body bytes of the complete chunks received so far (latin1 text: one character a byte, as chunk sizes count). */
function dechunk(stream) {
    let body = "";
    let at = 0;
    const raw = stream.raw;
    for (;;) {
        if (stream.chunkLeft === -1) {
            const lineEnd = raw.indexOf("\r\n", at);
            if (lineEnd === -1) break;
            stream.chunkLeft = parseInt(raw.slice(at, lineEnd), 16);
            if (!(stream.chunkLeft > 0)) fail(`GET /feed: a chunk size of ${JSON.stringify(raw.slice(at, lineEnd))} (the stream ended?)`);
            at = lineEnd + 2;
        }
        if (raw.length < at + stream.chunkLeft + 2) break;
        body += raw.slice(at, at + stream.chunkLeft);
        at += stream.chunkLeft + 2;
        stream.chunkLeft = -1;
    }
    stream.raw = raw.slice(at);
    return body;
}

function onFrame(stream, frame, opened) {
    if (frame.startsWith(":")) return; // ":ok", heartbeats
    let id;
    let event;
    let data;
    for (const line of frame.split("\n")) {
        if (line.startsWith("id: ")) id = line.slice(4);
        else if (line.startsWith("event: ")) event = line.slice(7);
        else if (line.startsWith("data: ")) data = line.slice(6);
    }
    if (event === "worker") {
        stream.pid = Number(data);
        return opened(stream);
    }
    const number = Number(id);
    if (!Number.isSafeInteger(number)) return void failures.push(`process ${stream.pid} sent an event without a numeric id: ${JSON.stringify(frame)}`);
    if (number <= stream.lastId) stream.outOfOrder++;
    stream.lastId = number;
    stream.ids.push(number);
    if (stream.ids.length === stream.target) {
        stream.reachedAt = performance.now();
        stream.reached?.();
    }
}

/** Streams until each process holds `perProcess`; streams landing on a process that has enough are closed. */
async function openSubscribers() {
    return (await spreadOverProcesses(processes * perProcess, perProcess, "event streams", openStream)).kept;
}

/**
 * Connections, opened round the ports, until each process holds `share` of them (`total` in all); one
 * landing on a process that has its share is closed. `open` resolves with `{ pid, socket }`.
 */
async function spreadOverProcesses(total, share, what, open) {
    const kept = [];
    const perPid = new Map();
    for (let attempt = 0; kept.length < total; attempt++) {
        if (attempt >= 20 * total) fail(`after ${attempt} ${what}, only these processes hold one: ${[...perPid.keys()].join(", ")} (${processes} expected)`);
        const connection = await open(ports[attempt % ports.length]);
        const count = perPid.get(connection.pid) ?? 0;
        if (count < share) {
            perPid.set(connection.pid, count + 1);
            kept.push(connection);
        } else {
            connection.closing = true;
            connection.socket.destroy();
        }
    }
    return { kept, perPid: Object.fromEntries(perPid) };
}

/**
 * Resolves once every stream has `total` events, with the time the last one got there. `armTimeout()`,
 * called once the last POST is answered, gives up `deliveryPatience` later: events were lost.
 */
function allDelivered(streams, total) {
    let armTimeout = () => {};
    const done = new Promise((resolve) => {
        let waiting = 0;
        let timer;
        const reached = () => {
            if (--waiting > 0) return;
            clearTimeout(timer);
            resolve(Math.max(...streams.map((stream) => stream.reachedAt)));
        };
        for (const stream of streams) {
            stream.target = total;
            if (stream.ids.length < total) {
                waiting++;
                stream.reached = reached;
            }
        }
        if (waiting === 0) return resolve(performance.now());
        armTimeout = () => {
            timer = setTimeout(() => {
                for (const stream of streams) if (stream.ids.length < total) failures.push(`the stream held by process ${stream.pid} received ${stream.ids.length} of ${total} events (${deliveryPatience / 1000} s after the last publish was answered)`);
                resolve(performance.now());
            }, deliveryPatience);
        };
    });
    return { done, armTimeout };
}

// ---- publishers ----

/** A keep-alive connection on which POST /feed requests are pipelined; answers are matched in order. */
function openPublisher(port) {
    return new Promise((resolve, reject) => {
        const socket = net.connect(port, "127.0.0.1");
        const connection = { socket, port, pid: 0, waiting: [], buffer: "" };
        socket.setEncoding("latin1");
        socket.setNoDelay(true);
        connection.post = (index) => {
            const body = `{"n":${index}}`;
            socket.write(`POST /feed HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
            return new Promise((answered) => connection.waiting.push({ sent: performance.now(), answered }));
        };
        socket.on("connect", () => resolve(connection));
        socket.on("data", (chunk) => {
            connection.buffer += chunk;
            for (;;) {
                const end = connection.buffer.indexOf("\r\n\r\n");
                if (end === -1) break;
                const head = connection.buffer.slice(0, end);
                const length = /\r\ncontent-length: *(\d+)/i.exec(head);
                if (length === null) fail(`POST /feed answered without a content-length: ${head}`);
                const bodyEnd = end + 4 + Number(length[1]);
                if (connection.buffer.length < bodyEnd) break;
                const body = connection.buffer.slice(end + 4, bodyEnd);
                connection.buffer = connection.buffer.slice(bodyEnd);
                if (!head.startsWith("HTTP/1.1 200")) fail(`POST /feed: ${head.split("\r\n")[0]}: ${body}`);
                const { id, pid } = JSON.parse(body);
                const request = connection.waiting.shift();
                request.answered({ id: Number(id), pid, ms: performance.now() - request.sent });
            }
        });
        socket.on("error", (error) => (connection.pid ? fail(`a publisher connection failed: ${error.message}`) : reject(error)));
        socket.on("close", () => connection.pid && !connection.closing && fail("the server closed a publisher connection"));
    });
}

/** Connections until each process has its share, learning each one's process from a first POST (a warm-up event). */
async function openPublishers(published) {
    return spreadOverProcesses(connections, Math.ceil(connections / processes), "publisher connections", async (port) => {
        const connection = await openPublisher(port);
        const answer = await connection.post(-1);
        published.push(answer.id);
        connection.pid = answer.pid;
        return connection;
    });
}

/** `count` POSTs over every connection, `depth` in flight on each; the ids and latencies of the answers. */
async function publish(publishers, count, published, latencies) {
    let next = 0;
    const loop = async (connection) => {
        while (next < count) {
            const answer = await connection.post(next++);
            published.push(answer.id);
            latencies?.push(answer.ms);
        }
    };
    await Promise.all(publishers.flatMap((connection) => Array.from({ length: depth }, () => loop(connection))));
}

// ---- CPU time of the server processes ----

const ticksPerSecond = (() => {
    try {
        return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" })) || 100;
    } catch {
        return 100;
    }
})();

/** User + system CPU ms of a process, all its threads (fields 14 and 15 of /proc/PID/stat). */
function cpuMs(pid) {
    try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
    } catch {
        return NaN;
    }
}

// ---- the run ----

const streams = await openSubscribers();
const published = [];
const { kept: publishers, perPid: publishersPerProcess } = await openPublishers(published);
await publish(publishers, warmup, published);
const warmedUp = allDelivered(streams, published.length);
warmedUp.armTimeout();
await warmedUp.done;

const roles = { ...config.cpuPids };
const workerPids = [...new Set(streams.map((stream) => stream.pid))].filter((pid) => !Object.values(roles).includes(pid));
const processName = config.processName ?? "vshs";
workerPids.forEach((pid, index) => (roles[workerPids.length > 1 ? `${processName} ${String.fromCharCode(65 + index)}` : processName] = pid));
const cpuBefore = Object.fromEntries(Object.entries(roles).map(([role, pid]) => [role, cpuMs(pid)]));
const clientBefore = process.cpuUsage();

const latencies = [];
const expected = published.length + events;
const started = performance.now();
const delivered = allDelivered(streams, expected);
await publish(publishers, events, published, latencies);
const publishedAt = performance.now();
delivered.armTimeout();
const deliveredAt = await delivered.done;

const clientCpu = process.cpuUsage(clientBefore);
const serverCpuMs = Object.fromEntries(Object.entries(roles).map(([role, pid]) => [role, cpuMs(pid) - cpuBefore[role]]));

// Every stream: each published id once, in increasing order, nothing else.
const ids = [...published].sort((a, b) => a - b);
for (let index = 1; index < ids.length; index++) if (ids[index] === ids[index - 1]) failures.push(`two POSTs were answered with the same id ${ids[index]}`);
for (const stream of streams) {
    if (stream.outOfOrder > 0) failures.push(`the stream held by process ${stream.pid} received ${stream.outOfOrder} event(s) out of order or twice`);
    const missing = ids.filter((id, index) => stream.ids[index] !== id).length;
    if (missing > 0 || stream.ids.length !== ids.length) failures.push(`the stream held by process ${stream.pid} received ${stream.ids.length} events for ${ids.length} published; ${missing} position(s) differ from the published ids`);
}

const sortedLatencies = latencies.sort((a, b) => a - b);
const percentile = (p) => sortedLatencies[Math.min(sortedLatencies.length - 1, Math.floor((p / 100) * sortedLatencies.length))];
console.log(
    JSON.stringify({
        events,
        seconds: (deliveredAt - started) / 1000,
        eventsPerSecond: events / ((deliveredAt - started) / 1000),
        publishSeconds: (publishedAt - started) / 1000,
        latencyMs: { p50: percentile(50), p99: percentile(99) },
        streams: streams.map((stream) => ({ pid: stream.pid, received: stream.ids.length })),
        publishersPerProcess,
        clientCpuMs: (clientCpu.user + clientCpu.system) / 1000,
        serverCpuMs,
        failures,
    }),
);
for (const each of [...streams, ...publishers]) {
    each.closing = true;
    each.socket.resetAndDestroy();
}
