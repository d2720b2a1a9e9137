// `npm run bench`: vshs against raw node:http, Fastify, Hono and h3. Each server runs alone on one core,
// the load generator on the other; every timing is one of an adjacent pair (baseline, candidate),
// run in both orders, and the ratio reported is the median of the pairs' ratios.
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import http from "node:http";
import net from "node:net";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import zlib from "node:zlib";
import { makeCertificate, makePrecompressedFixture } from "./generated-fixtures.mjs";
import { h2Exchange, h2Load, streamsPerConnection } from "./h2-load.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.dirname(here);
const { values: flags } = parseArgs({
    options: {
        duration: { type: "string", default: "5" },
        rounds: { type: "string", default: "3" },
        connections: { type: "string", default: "50" },
        only: { type: "string" },
        smoke: { type: "boolean", default: false },
        output: { type: "string" },
        load: { type: "string" },
        instructions: { type: "boolean", default: false },
        requests: { type: "string", default: "5000" },
        warmup: { type: "string", default: "15000" },
        streams: { type: "string", default: "10000" },
        events: { type: "string", default: "20000" },
    },
});
const duration = flags.smoke ? 1 : Number(flags.duration);
const rounds = flags.smoke ? 1 : Number(flags.rounds);
const connections = Number(flags.connections);
const streamCount = flags.smoke ? 500 : Number(flags.streams);
const fanOuts = flags.smoke ? 3 : 5;
const channelEvents = flags.smoke ? 1000 : Number(flags.events);
const selected = (name) => !flags.only || flags.only.split(",").includes(name);

const has = (command) => {
    try {
        execFileSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" });
        return true;
    } catch {
        return false;
    }
};
const loadGenerator = flags.load ?? (has("wrk") ? "wrk" : "autocannon");
const pinned = has("taskset") && availableParallelism() >= 2;
const pin = (core, command) => (pinned ? ["taskset", "-c", String(core), ...command] : command);

const manyRoutes = 1000; // as servers/common.mjs
/** Where scripts/runtimes.mjs put Deno and Bun (declared before the scenarios, whose titles ask their versions). */
let runtimesBin;
const echoBody = JSON.stringify({ items: Array.from({ length: 20 }, (_, i) => ({ id: i, name: `item ${i}`, done: i % 2 === 0 })) }).padEnd(1024, " ");

/** A server process (on Node unless said) and the request measured against it. */
const side = (server, request, many = false) => ({ server, request, many, runtime: "node", label: many ? `${server} (1,000 routes)` : server });
/**
 * A side with more said about it: `label`, `args` (after the port on the server's command line), `protocol`
 * ("h2": checked with node:http2, loaded with h2load) and `encoding` (the Content-Encoding its answer must have).
 */
const sideWith = (server, request, more) => ({ ...side(server, request), ...more });
const onRuntime = (runtime, server, request, label) => ({ server, request, many: false, runtime, label });
/**
 * vshs as users run it: the `vshs` command (dist/cli/main.js) on a folder of route files with `export default
 * async function` handlers, `routes/` (or, for `many`, the same files and the 1,000-route table, written in a
 * temporary folder at start: see prepareRouteTable), on Node, Deno or Bun.
 */
const cliSide = (request, many = false, runtime = "node", label = many ? "vshs (1,000 route files)" : "vshs") => ({ server: "vshs-cli", cli: true, request, many, runtime, label });
const get = (pathname, headers = {}) => ({ method: "GET", path: pathname, headers, body: undefined });
const hello = get("/hello-world");
/** The baseline on Node: node:http by hand with its header list built once (servers/raw-flat.mjs). */
const raw = (request, many = false) => ({ ...side("raw-flat", request, many), label: many ? "raw (1,000 routes)" : "raw" });
/** Every row compared with raw on Node: vshs by its command, vshs from a routes object, the peers, the older raw server. */
const nodeRows = (request, many = false) => [
    cliSide(request, many),
    { ...side("vshs", request, many), label: `vshs, routes object, sync handlers${many ? " (1,000 routes)" : ""}` },
    ...["fastify", "hono", "h3"].map((name) => side(name, request, many)),
    { ...side("raw", request, many), label: `raw (header object)${many ? " (1,000 routes)" : ""}` },
];
const nodePairs = (request, many = false) => nodeRows(request, many).map((candidate) => [raw(request, many), candidate]);
/** What Chrome sends: every coding at the same weight, so each server's own order of preference decides. */
const browserEncodings = "gzip, deflate, br, zstd";
const appJs = get("/static/app.js", { "accept-encoding": "br, gzip" });
const catalogue = get("/catalogue", { "accept-encoding": browserEncodings });

const scenarios = [
    { name: "hello", title: "GET /hello-world (4-space JSON, CORS)", pairs: nodePairs(hello) },
    { name: "echo", title: "POST /echo, 1 KiB JSON body", pairs: nodePairs({ method: "POST", path: "/echo", headers: { "content-type": "application/json" }, body: echoBody }) },
    {
        name: "middleware",
        title: "GET /hello-world from a route file, then behind a _middleware.ts that returns undefined",
        pairs: [[side("vshs-files", hello), side("vshs-guarded", hello)]],
    },
    { name: "params", title: "GET /params/{name}, percent-encoded", pairs: nodePairs(get("/params/caf%C3%A9%20cr%C3%A8me")) },
    {
        name: "routes",
        title: "GET /r999/{id} in a table of 1,000 routes",
        pairs: [[cliSide(get("/r999/42"), false, "node", "vshs (4 route files)"), cliSide(get("/r999/42"), true)], ...nodePairs(get("/r999/42"), true)],
        routeTable: true,
    },
    ...["deno", "bun"].map((runtime) => ({
        name: runtime,
        title: `vshs on ${runtime === "deno" ? "Deno" : "Bun"} ${runtimeVersion(runtime)}, against the raw ${runtime === "deno" ? "Deno.serve" : "Bun.serve"}`,
        runtime,
        pairs: [
            ["hello: GET /hello-world", hello],
            ["echo: POST /echo 1 KiB", { method: "POST", path: "/echo", headers: { "content-type": "application/json" }, body: echoBody }],
            ["params: GET /params/{name}", get("/params/caf%C3%A9%20cr%C3%A8me")],
        ].map(([label, request]) => [onRuntime(runtime, "raw-web", request, `raw ${label}`), cliSide(request, false, runtime, `vshs ${label}`)]),
    })),
    { name: "static", title: "GET a 64 KiB static file", pairs: ["vshs", "fastify"].map((name) => [side("raw", get("/static/asset.bin")), side(name, get("/static/asset.bin"))]) },
    {
        name: "static-304",
        title: "GET a 64 KiB static file with a matching If-None-Match (304)",
        pairs: ["vshs", "fastify"].map((name) => [side("raw", get("/static/asset.bin", { "if-none-match": "ETAG" })), side(name, get("/static/asset.bin", { "if-none-match": "ETAG" }))]),
    },
    {
        name: "h2",
        title: `GET /hello-world over HTTP/2 and TLS (h2load, ${connections} connections × ${streamsPerConnection} streams)`,
        // First against the core API (the target's baseline), then against the compatibility API that vshs builds on.
        pairs: ["stream", "compat"].map((api) => [
            sideWith("raw-h2", hello, { label: `raw http2 (${api} API)`, protocol: "h2", args: api === "compat" ? ["compat"] : [] }),
            sideWith("vshs-h2", hello, { label: "vshs (tls)", protocol: "h2" }),
        ]),
        tls: true,
    },
    {
        name: "precompressed",
        title: "GET a 64 KiB JavaScript file with app.js.br beside it (Accept-Encoding: br, gzip)",
        pairs: [[sideWith("fastify-precompressed", appJs, { label: "@fastify/static", encoding: "br" }), sideWith("vshs-precompressed", appJs, { label: "vshs", encoding: "br" })]],
        precompressed: true,
        showBytes: true,
        // @fastify/static labels JavaScript with the obsolete name (mime 3); RFC 9239 made it text/javascript, which vshs sends.
        typeAliases: { "application/javascript": "text/javascript" },
    },
    {
        name: "compress",
        title: `GET a 16 KiB JSON answer, compressed as it is sent (Accept-Encoding: ${browserEncodings})`,
        pairs: [
            [sideWith("fastify-compress", catalogue, { label: "@fastify/compress", encoding: "br" }), sideWith("vshs-compress", catalogue, { label: "vshs", encoding: "br" })],
            // What compressing costs: the same server and request, without compression.
            [sideWith("vshs-compress", catalogue, { label: "vshs, compress: false", args: ["plain"] }), sideWith("vshs-compress", catalogue, { label: "vshs, compressed", encoding: "br" })],
        ],
        showBytes: true,
    },
].filter((scenario) => selected(scenario.name));

// ---- servers ----

/** Deno and Bun: fetched into runtimes/node_modules on first use (scripts/runtimes.mjs), not by npm install. */
function runtimeBinary(runtime) {
    runtimesBin ??= execFileSync(process.execPath, [path.join(repo, "scripts/runtimes.mjs")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim();
    return path.join(runtimesBin, runtime);
}

function runtimeVersion(runtime) {
    try {
        return execFileSync(runtimeBinary(runtime), ["--version"], { encoding: "utf8" }).split("\n")[0].replace(/^deno /, "").split(" ")[0];
    } catch {
        return "(could not be fetched: run npm run runtimes in the project)";
    }
}

function serverCommand({ server, cli, many, runtime, nodeOptions = [], args = [] }) {
    const script = cli
        ? [path.join(repo, "dist/cli/main.js"), many ? routeTableFolder() : path.join(here, "routes"), "--port", "0", "--host", "127.0.0.1", "--quiet"]
        : [path.join(here, "servers", `${server}.mjs`), "0", ...(many ? ["many"] : []), ...args];
    if (runtime === "deno") return [runtimeBinary("deno"), "run", "-A", ...script];
    if (runtime === "bun") return [runtimeBinary("bun"), ...script];
    return [process.execPath, ...nodeOptions, ...script];
}

/** Runs a command with its open-file limit raised to the hard limit: each event stream holds a descriptor. */
function withFileLimit(command) {
    return ["sh", "-c", 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', "sh", ...command];
}

async function startServer(sideToStart) {
    const command = serverCommand(sideToStart);
    const child = spawn(...splitCommand(pin(1, sideToStart.streams ? withFileLimit(command) : command)), { cwd: here });
    const port = await listeningPort(child, sideToStart.label ?? sideToStart.server);
    return { port, stop: () => new Promise((resolve) => (child.once("exit", resolve), child.kill("SIGKILL"))) };
}

/**
 * The port a server listens on, from what it prints: `READY PORT` for the servers in servers/, the first line
 * of the banner (`vshs 0.1.0 serving http://127.0.0.1:PORT on …`) for the vshs command.
 */
function listeningPort(child, name) {
    return new Promise((resolve, reject) => {
        let output = "";
        child.stdout.on("data", (chunk) => {
            output += chunk;
            const found = /^READY (\d+)|^vshs \S+ serving https?:\/\/[^\s/]+:(\d+)/m.exec(output);
            if (found) resolve(Number(found[1] ?? found[2]));
        });
        child.stderr.on("data", (chunk) => (output += chunk));
        child.on("exit", (code) => reject(new Error(`${name} exited (${code}): ${output.slice(-2000)}`)));
    });
}

/** The 1,000-route table as route files: routes/ copied, then /r0/{id} … /r998/{id} beside its /r999/{id}. */
let routeTable;
function routeTableFolder() {
    if (routeTable) return routeTable;
    const folder = mkdtempSync(path.join(tmpdir(), "vshs-bench-routes-"));
    process.on("exit", () => rmSync(folder, { recursive: true, force: true }));
    for (const signal of ["SIGINT", "SIGTERM"]) process.once(signal, () => process.exit(130));
    cpSync(path.join(here, "routes"), folder, { recursive: true });
    const last = readFileSync(path.join(here, "routes", `r${manyRoutes - 1}`, "{id}", "GET.ts"), "utf8");
    for (let i = 0; i < manyRoutes - 1; i++) {
        mkdirSync(path.join(folder, `r${i}`, "{id}"), { recursive: true });
        writeFileSync(path.join(folder, `r${i}`, "{id}", "GET.ts"), last);
    }
    return (routeTable = folder);
}

function splitCommand([command, ...args]) {
    return [command, args];
}

let etag = "";
function requestFor(request) {
    return { ...request, headers: Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, value === "ETAG" ? etag : value])) };
}

/**
 * One exchange (over node:http: fetch would add "Cache-Control: no-cache" to a conditional request; over
 * node:http2 for an h2 side), summed up for comparison: the body is hashed after decoding its Content-Encoding,
 * and `wire` gives the bytes sent (body as coded, headers as HTTP/1.1 text), which the comparison leaves out.
 */
async function fetchOnce(port, request, agent = undefined, protocol = "http/1.1") {
    const { status, headers, rawHeaderBytes, body } = protocol === "h2" ? await h2Exchange(port, requestFor(request)) : await h1Exchange(port, requestFor(request), agent);
    const encoding = headers["content-encoding"];
    return {
        status,
        type: (headers["content-type"] ?? "").split(";")[0],
        cors: `${headers["access-control-allow-origin"]} | ${headers["access-control-allow-methods"]}`,
        encoding,
        body: createHash("sha256").update(decoded(body, encoding)).digest("hex"),
        etag: headers["etag"],
        wire: { body: body.length, headers: rawHeaderBytes },
    };
}

function h1Exchange(port, { method, path: pathname, headers, body }, agent) {
    return new Promise((resolve, reject) => {
        const outgoing = http.request({ host: "127.0.0.1", port, agent, method, path: pathname, headers: body ? { ...headers, "content-length": Buffer.byteLength(body) } : headers }, (response) => {
            const chunks = [];
            response.on("data", (chunk) => chunks.push(chunk));
            response.on("end", () => {
                const lines = [`HTTP/1.1 ${response.statusCode} ${response.statusMessage}`];
                for (let i = 0; i < response.rawHeaders.length; i += 2) lines.push(`${response.rawHeaders[i]}: ${response.rawHeaders[i + 1]}`);
                resolve({ status: response.statusCode, headers: response.headers, rawHeaderBytes: Buffer.byteLength(lines.join("\r\n") + "\r\n\r\n"), body: Buffer.concat(chunks) });
            });
        });
        outgoing.on("error", reject);
        outgoing.end(body);
    });
}

/** A body with its Content-Encoding undone (zstd needs Node 22.15 or later). */
function decoded(body, encoding) {
    if (encoding === undefined || encoding === "identity") return body;
    if (encoding === "br") return zlib.brotliDecompressSync(body);
    if (encoding === "gzip" || encoding === "x-gzip") return zlib.gunzipSync(body);
    if (encoding === "deflate") return zlib.inflateSync(body);
    if (encoding === "zstd" && zlib.zstdDecompressSync) return zlib.zstdDecompressSync(body);
    throw new Error(`cannot decode a body in ${encoding}`);
}

// ---- load ----

function runLoad(port, request, seconds, protocol = "http/1.1") {
    if (protocol === "h2") return h2Load((command) => pin(0, command), port, requestFor(request), seconds, connections);
    const { method, path: pathname, headers, body } = requestFor(request);
    const url = `http://127.0.0.1:${port}${pathname}`;
    if (loadGenerator === "wrk") {
        const script = path.join(tmpdir(), `vshs-bench-${process.pid}.lua`);
        writeFileSync(script, [`wrk.method = ${JSON.stringify(method)}`, body ? `wrk.body = ${JSON.stringify(body)}` : "", ...Object.entries(headers).map(([name, value]) => `wrk.headers[${JSON.stringify(name)}] = ${JSON.stringify(value)}`)].join("\n"));
        const output = execFileSync(...splitCommand(pin(0, ["wrk", "-t1", `-c${connections}`, `-d${seconds}s`, "--latency", "-s", script, url])), { encoding: "utf8" });
        const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(output);
        if (errors) throw new Error(`errors during the run: ${errors[0]}`);
        return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(output)[1]), p99: toMs(/\s99%\s+([\d.]+)(us|ms|s)/.exec(output)) };
    }
    const args = [path.join(here, "node_modules/autocannon/autocannon.js"), "-c", String(connections), "-d", String(seconds), "-j", "-m", method, url];
    for (const [name, value] of Object.entries(headers)) args.push("-H", `${name}=${value}`);
    if (body) args.push("-b", body);
    const result = JSON.parse(execFileSync(...splitCommand(pin(0, [process.execPath, ...args])), { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }));
    if (result.non2xx > 0 && !request.headers["if-none-match"]) throw new Error(`${result.non2xx} non-2xx answers`);
    return { rps: result.requests.average, p99: result.latency.p99 };
}

function toMs([, value, unit]) {
    return Number(value) * (unit === "us" ? 0.001 : unit === "s" ? 1000 : 1);
}

/** One timed run against a freshly started server, after a short warm-up (the JIT, the connections). */
async function measure(sideToRun) {
    const server = await startServer(sideToRun);
    try {
        await fetchOnce(server.port, sideToRun.request, undefined, sideToRun.protocol);
        runLoad(server.port, sideToRun.request, Math.min(2, Math.max(1, Math.round(duration / 3))), sideToRun.protocol);
        return runLoad(server.port, sideToRun.request, duration, sideToRun.protocol);
    } finally {
        await server.stop();
    }
}

// ---- checks ----

/** What each side sent in the checks: bytes on the wire, by scenario and label. */
const wireBytes = new Map();

async function verify(scenario) {
    for (const [baseline, candidate] of scenario.pairs) {
        const answers = [];
        for (const each of [baseline, candidate]) {
            const server = await startServer(each);
            try {
                if (scenario.name === "static-304" && !etag) etag = (await fetchOnce(server.port, get("/static/asset.bin"))).etag;
                const answer = await fetchOnce(server.port, each.request, undefined, each.protocol).catch((error) => {
                    throw new Error(`${scenario.name}: ${each.label} gave no answer: ${error.message}`, { cause: error });
                });
                // Each side's coding is checked against what it must send; the decoded bodies are then compared.
                if (answer.encoding !== each.encoding) {
                    throw new Error(`${scenario.name}: ${each.label} sent Content-Encoding ${answer.encoding ?? "(none)"} where ${each.encoding ?? "none"} was expected`);
                }
                wireBytes.set(`${scenario.name} ${each.label}`, answer.wire);
                answers.push(answer);
            } finally {
                await server.stop();
            }
        }
        const [a, b] = answers.map(({ etag: _, wire: __, encoding: ___, ...rest }) => ({ ...rest, type: scenario.typeAliases?.[rest.type] ?? rest.type }));
        if (JSON.stringify(a) !== JSON.stringify(b)) {
            throw new Error(`${scenario.name}: ${candidate.label} answers differently from ${baseline.label}:\n${JSON.stringify(a)}\n${JSON.stringify(b)}`);
        }
        if (a.status !== (scenario.name === "static-304" ? 304 : 200)) throw new Error(`${scenario.name}: status ${a.status}`);
    }
}

// ---- event streams ----

/** A server holding event streams, run with --expose-gc so that it reports its memory after a collection. */
const streamSide = (server, label) => ({ server, label, runtime: "node", many: false, streams: true, nodeOptions: ["--expose-gc"] });
const streamPair = [streamSide("raw-streams", "raw"), streamSide("vshs-streams", "vshs")];

function checkFileLimit() {
    const hard = execFileSync("sh", ["-c", "ulimit -Hn"], { encoding: "utf8" }).trim();
    if (hard !== "unlimited" && Number(hard) < streamCount + 100) throw new Error(`streams: ${format(streamCount)} streams need as many open files, and the hard limit (ulimit -Hn) is ${hard}`);
}

/**
 * One run against a fresh server: the client process (stream-clients.mjs, on the other core) opens the
 * streams, reads the server's memory before and after, and times the fan-outs.
 */
async function streamRun(sideToRun, count, repetitions) {
    const server = await startServer(sideToRun);
    try {
        const client = pin(0, withFileLimit([process.execPath, path.join(here, "stream-clients.mjs"), String(server.port), String(count), String(repetitions)]));
        const result = JSON.parse(execFileSync(...splitCommand(client), { encoding: "utf8", timeout: 180_000 }));
        return {
            ...result,
            rssPerStream: (result.after.rss - result.before.rss) / count / 1024,
            heapPerStream: (result.after.heapUsed - result.before.heapUsed) / count / 1024,
            fanOut: median(result.fanOutMs),
            serverSend: median(result.serverSendMs),
        };
    } finally {
        await server.stop();
    }
}

/** Both servers send the same bytes: headers (but the date), the opening comment, the events. */
async function verifyStreams() {
    const [raw, vshs] = [await streamRun(streamPair[0], 3, 2), await streamRun(streamPair[1], 3, 2)];
    if (raw.sample !== vshs.sample) throw new Error(`streams: vshs sends different bytes from raw:\n${JSON.stringify(raw.sample)}\n${JSON.stringify(vshs.sample)}`);
}

async function streamsReport() {
    checkFileLimit();
    await verifyStreams();
    console.log(`## ${format(streamCount)} event streams held open (GET /events), one event sent to all (POST /fanout, ${fanOuts} times per run) — bytes verified identical`);
    const [baseline, candidate] = streamPair;
    const runs = { [baseline.label]: [], [candidate.label]: [] };
    const ratios = { memory: [], fanOut: [] };
    for (let round = 0; round < rounds; round++) {
        for (const order of [[baseline, candidate], [candidate, baseline]]) {
            const results = {};
            for (const each of order) {
                results[each.label] = await streamRun(each, streamCount, fanOuts);
                runs[each.label].push(results[each.label]);
            }
            ratios.memory.push(results[candidate.label].rssPerStream / results[baseline.label].rssPerStream);
            ratios.fanOut.push(results[candidate.label].fanOut / results[baseline.label].fanOut);
        }
    }
    // Each row: the figure over the runs, and beside it the detail that explains it.
    const row = (measure, key, detail, ratio) => {
        const summary = (label) => {
            const values = runs[label].map((run) => run[key]);
            return { label, median: median(values), min: Math.min(...values), max: Math.max(...values), [detail]: median(runs[label].map((run) => run[detail])) };
        };
        return { scenario: "streams", measure, streams: streamCount, baseline: summary(baseline.label), candidate: summary(candidate.label), ratio: median(ratio) };
    };
    const memory = row("KiB of RSS per open stream", "rssPerStream", "heapPerStream", ratios.memory);
    const fanOut = row("ms until every stream has the event", "fanOut", "serverSend", ratios.fanOut);
    const kib = (n) => n.toFixed(2);
    console.log(
        `  ${"vshs memory".padEnd(24)} ${kib(memory.candidate.median).padStart(7)} KiB RSS per stream (${kib(memory.candidate.min)}–${kib(memory.candidate.max)}), heap ${kib(memory.candidate.heapPerStream)} KiB` +
            `   raw: ${kib(memory.baseline.median)} KiB (heap ${kib(memory.baseline.heapPerStream)} KiB)   ratio ${memory.ratio.toFixed(2)}× (above 1: more than raw)`,
    );
    console.log(
        `  ${"vshs fan-out".padEnd(24)} ${fanOut.candidate.median.toFixed(1).padStart(7)} ms to all ${format(streamCount)} (${fanOut.candidate.min.toFixed(1)}–${fanOut.candidate.max.toFixed(1)}), server sending ${fanOut.candidate.serverSend.toFixed(1)} ms` +
            `   raw: ${fanOut.baseline.median.toFixed(1)} ms (sending ${fanOut.baseline.serverSend.toFixed(1)} ms)   ratio ${fanOut.ratio.toFixed(2)}× (above 1: slower than raw)`,
    );
    return [memory, fanOut];
}

// ---- WebSockets ----

const socketPair = [streamSide("raw-sockets", "raw ws"), streamSide("vshs-sockets", "vshs")];
const echoSockets = 64;

/** One run of socket-clients.mjs (on the other core) against a fresh server. */
async function socketRun(sideToRun, mode, count, amount) {
    const server = await startServer(sideToRun);
    try {
        const client = pin(0, withFileLimit([process.execPath, path.join(here, "socket-clients.mjs"), mode, String(server.port), String(count), String(amount)]));
        const result = JSON.parse(execFileSync(...splitCommand(client), { encoding: "utf8", timeout: 180_000 }));
        if (mode === "echo") return result;
        return { ...result, rssPerSocket: (result.after.rss - result.before.rss) / count / 1024, heapPerSocket: (result.after.heapUsed - result.before.heapUsed) / count / 1024, fanOut: median(result.fanOutMs), serverSend: median(result.serverSendMs) };
    } finally {
        await server.stop();
    }
}

/**
 * vshs's WebSockets against ws by hand, on Node: echo round trips per second over 64 sockets (a
 * `for await` loop that awaits its sends, as the examples write it), the memory of `streamCount` idle
 * sockets following a channel, and the time one published event takes to reach them all (raw: a loop
 * over the sockets sending the same frame).
 */
async function socketsReport() {
    checkFileLimit();
    const [baseline, candidate] = socketPair;
    console.log(`## WebSockets: echo round trips over ${echoSockets} sockets (${duration} s per run); ${format(streamCount)} sockets following a channel, one event to all (${fanOuts} times per run)`);
    const runs = { echo: { [baseline.label]: [], [candidate.label]: [] }, fanout: { [baseline.label]: [], [candidate.label]: [] } };
    const ratios = { echo: [], memory: [], fanOut: [] };
    for (let round = 0; round < rounds; round++) {
        for (const order of [[baseline, candidate], [candidate, baseline]]) {
            const echo = {};
            const fan = {};
            for (const each of order) {
                echo[each.label] = await socketRun(each, "echo", echoSockets, duration);
                fan[each.label] = await socketRun(each, "fanout", streamCount, fanOuts);
                runs.echo[each.label].push(echo[each.label]);
                runs.fanout[each.label].push(fan[each.label]);
            }
            ratios.echo.push(echo[candidate.label].perSecond / echo[baseline.label].perSecond);
            ratios.memory.push(fan[candidate.label].rssPerSocket / fan[baseline.label].rssPerSocket);
            ratios.fanOut.push(fan[candidate.label].fanOut / fan[baseline.label].fanOut);
        }
    }
    const figure = (kind, key, label) => median(runs[kind][label].map((run) => run[key]));
    const rows = [
        { scenario: "sockets", measure: "echo round trips per second", sockets: echoSockets, baseline: figure("echo", "perSecond", baseline.label), candidate: figure("echo", "perSecond", candidate.label), ratio: median(ratios.echo) },
        { scenario: "sockets", measure: "KiB of RSS per idle socket", sockets: streamCount, baseline: figure("fanout", "rssPerSocket", baseline.label), candidate: figure("fanout", "rssPerSocket", candidate.label), ratio: median(ratios.memory) },
        { scenario: "sockets", measure: "ms until every socket has the event", sockets: streamCount, baseline: figure("fanout", "fanOut", baseline.label), candidate: figure("fanout", "fanOut", candidate.label), ratio: median(ratios.fanOut) },
    ];
    console.log(`  ${"vshs echo".padEnd(24)} ${format(rows[0].candidate).padStart(7)} round trips/s   raw ws: ${format(rows[0].baseline)}   ratio ${rows[0].ratio.toFixed(2)}× (below 1: fewer than raw)`);
    console.log(`  ${"vshs memory".padEnd(24)} ${rows[1].candidate.toFixed(2).padStart(7)} KiB RSS per socket   raw ws: ${rows[1].baseline.toFixed(2)} KiB   ratio ${rows[1].ratio.toFixed(2)}× (above 1: more than raw)`);
    console.log(`  ${"vshs fan-out".padEnd(24)} ${rows[2].candidate.toFixed(1).padStart(7)} ms to all ${format(streamCount)}   raw ws: ${rows[2].baseline.toFixed(1)} ms   ratio ${rows[2].ratio.toFixed(2)}× (above 1: slower than raw)`);
    // Deno and Bun: vshs's echo route against each runtime's own WebSocket by hand.
    for (const runtime of ["deno", "bun"]) {
        const pair = [{ ...onRuntime(runtime, "raw-sockets-web", undefined, `${runtime} raw`), streams: true }, { ...onRuntime(runtime, "vshs-sockets", undefined, `vshs on ${runtime}`), streams: true }];
        const perSecond = { [pair[0].label]: [], [pair[1].label]: [] };
        const echoRatios = [];
        for (let round = 0; round < rounds; round++) {
            for (const order of [pair, [...pair].reverse()]) {
                const results = {};
                for (const each of order) perSecond[each.label].push((results[each.label] = (await socketRun(each, "echo", echoSockets, duration)).perSecond));
                echoRatios.push(results[pair[1].label] / results[pair[0].label]);
            }
        }
        const row = { scenario: "sockets", measure: `echo round trips per second on ${runtime}`, sockets: echoSockets, baseline: median(perSecond[pair[0].label]), candidate: median(perSecond[pair[1].label]), ratio: median(echoRatios) };
        rows.push(row);
        console.log(`  ${pair[1].label.padEnd(24)} ${format(row.candidate).padStart(7)} round trips/s   ${pair[0].label}: ${format(row.baseline)}   ratio ${row.ratio.toFixed(2)}× (below 1: fewer than raw)`);
    }
    return rows;
}

// ---- channels ----

/**
 * Events per second through a channel, by transport. Every server is the `vshs` command (dist/cli/main.js)
 * on bench/fixtures/channel-routes: GET /feed sends the pid of its process, then follows the channel;
 * POST /feed publishes its body and answers the event's id.
 */
const channelTransports = [
    { label: "in-process", title: "1 process", processes: 1, perProcess: 2, args: [] },
    { label: "2 workers", title: "--workers 2, through the cluster primary", processes: 2, perProcess: 1, args: ["--workers", "2"], processName: "worker" },
    { label: "Redis, 2 processes", title: "2 single processes, REDIS_URL", processes: 2, perProcess: 1, redis: true },
];
const channelWarmup = Math.min(2000, Math.round(channelEvents / 5));
const channelConnections = 16;
const channelDepth = 8;

function freePort() {
    return new Promise((resolve, reject) => {
        const probe = net.createServer().listen(0, "127.0.0.1", () => {
            const { port } = probe.address();
            probe.close(() => resolve(port));
        });
        probe.on("error", reject);
    });
}

/** Lines a quiet vshs prints at start (the banner); anything else it prints during a run is reported. */
const bannerLine = /^(vshs \S+ serving |\s+[A-Z]+\s+\/|\s+static: |\s+\d+ worker processes|\s*$)/;

/** `vshs fixtures/channel-routes --quiet` on core 1, on a port of its choosing; resolves once it prints its URL. */
async function startVshs(args, env) {
    const command = [process.execPath, path.join(repo, "dist/cli/main.js"), path.join(here, "fixtures/channel-routes"), "--port", "0", "--host", "127.0.0.1", "--quiet", ...args];
    const child = spawn(...splitCommand(pin(1, command)), { cwd: here, env: { ...process.env, ...env } });
    let output = "";
    let stopping = false;
    const port = await new Promise((resolve, reject) => {
        child.stdout.on("data", (chunk) => {
            if (stopping) return;
            output += chunk;
            const found = /serving http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
            if (found) resolve(Number(found[1]));
        });
        child.stderr.on("data", (chunk) => (stopping ? undefined : (output += chunk)));
        child.on("exit", (code) => reject(new Error(`vshs ${args.join(" ")} exited (${code}): ${output}`)));
    });
    return {
        port,
        pid: child.pid,
        /** What it printed besides its banner. */
        unexpected: () => output.split("\n").filter((line) => !bannerLine.test(line)),
        /** SIGTERM (a graceful stop, which also ends cluster workers), SIGKILL after 5 s. */
        stop: () =>
            new Promise((resolve) => {
                stopping = true;
                if (child.exitCode !== null || child.signalCode !== null) return resolve();
                const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
                child.once("exit", () => (clearTimeout(timer), resolve()));
                child.kill("SIGTERM");
            }),
    };
}

/** A redis-server of our own on core 1 (no persistence), stopped when the scenario ends or this process exits. */
async function startRedis() {
    const port = await freePort();
    const child = spawn(...splitCommand(pin(1, ["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])), { cwd: tmpdir() });
    const killOnExit = () => child.kill("SIGKILL");
    process.on("exit", killOnExit);
    let output = "";
    await new Promise((resolve, reject) => {
        child.stdout.on("data", (chunk) => ((output += chunk), /Ready to accept connections/.test(output) && resolve()));
        child.on("exit", (code) => reject(new Error(`redis-server exited (${code}): ${output}`)));
    });
    const version = execFileSync("redis-server", ["--version"], { encoding: "utf8" }).match(/v=(\S+)/)?.[1] ?? "?";
    return {
        url: `redis://127.0.0.1:${port}`,
        pid: child.pid,
        version,
        stop: () =>
            new Promise((resolve) => {
                process.off("exit", killOnExit);
                if (child.exitCode !== null || child.signalCode !== null) return resolve();
                child.once("exit", resolve);
                child.kill("SIGTERM");
            }),
    };
}

/** One run: fresh vshs process(es), then channel-clients.mjs on core 0 subscribes, publishes and checks. */
async function channelRun(transport, redis) {
    const servers = [];
    try {
        if (transport.redis) for (let i = 0; i < 2; i++) servers.push(await startVshs([], { REDIS_URL: redis.url }));
        else servers.push(await startVshs(transport.args, { REDIS_URL: "" }));
        const config = {
            ports: servers.map((server) => server.port),
            processes: transport.processes,
            perProcess: transport.perProcess,
            events: channelEvents,
            warmup: channelWarmup,
            connections: channelConnections,
            depth: channelDepth,
            cpuPids: transport.args?.includes("--workers") ? { primary: servers[0].pid } : transport.redis ? { "redis-server": redis.pid } : {},
            processName: transport.processName,
        };
        let result;
        try {
            const client = pin(0, [process.execPath, path.join(here, "channel-clients.mjs"), JSON.stringify(config)]);
            result = JSON.parse(execFileSync(...splitCommand(client), { encoding: "utf8", timeout: 180_000, stdio: ["ignore", "pipe", "pipe"] }));
        } catch (error) {
            result = { failures: [`the client failed: ${(error.stderr || error.message).trim()}`] };
        }
        // Let the servers' last output arrive before reading it.
        await new Promise((resolve) => setTimeout(resolve, 100));
        result.serverOutput = servers.flatMap((server) => server.unexpected());
        return result;
    } finally {
        for (const server of servers) await server.stop();
    }
}

async function channelsReport() {
    const redisInstalled = has("redis-server");
    const transports = channelTransports.filter((transport) => !transport.redis || redisInstalled);
    const redis = redisInstalled ? await startRedis() : undefined;
    console.log(
        `## Channels: ${format(channelEvents)} events published (POST /feed, ${channelConnections} keep-alive connections × ${channelDepth} pipelined), until every event stream has them all` +
            ` (after ${format(channelWarmup)} to warm up) — each stream checked: every id once, in increasing order`,
    );
    const runs = Object.fromEntries(transports.map((transport) => [transport.label, []]));
    const ratios = Object.fromEntries(transports.map((transport) => [transport.label, []]));
    try {
        for (let round = 0; round < rounds; round++) {
            const order = round % 2 === 0 ? transports : [...transports].reverse();
            const results = {};
            for (const transport of order) {
                results[transport.label] = await channelRun(transport, redis);
                runs[transport.label].push(results[transport.label]);
            }
            for (const transport of transports) ratios[transport.label].push(results[transport.label].eventsPerSecond / results[transports[0].label].eventsPerSecond);
        }
    } finally {
        await redis?.stop();
    }
    const rows = [];
    for (const transport of transports) {
        const all = runs[transport.label];
        const good = all.filter((run) => run.failures.length === 0 && run.eventsPerSecond > 0);
        const perEvent = (ms) => (ms * 1000) / channelEvents;
        const cpuRoles = good.length > 0 ? Object.keys(good[0].serverCpuMs) : [];
        const rates = good.map((run) => run.eventsPerSecond);
        const row = {
            scenario: "channels",
            transport: transport.label,
            setup: transport.title,
            events: channelEvents,
            warmup: channelWarmup,
            streams: transport.processes * transport.perProcess,
            connections: channelConnections,
            inFlightPerConnection: channelDepth,
            runs: all.length,
            failedRuns: all.length - good.length,
            eventsPerSecond: good.length > 0 ? { median: median(rates), min: Math.min(...rates), max: Math.max(...rates) } : null,
            publishLatencyMs: good.length > 0 ? { p50: median(good.map((run) => run.latencyMs.p50)), p99: median(good.map((run) => run.latencyMs.p99)) } : null,
            cpuMicrosecondsPerEvent: Object.fromEntries([...cpuRoles.map((role) => [role, median(good.map((run) => perEvent(run.serverCpuMs[role])))]), ["client", median(good.map((run) => perEvent(run.clientCpuMs)))]]),
            ratioToInProcess: transport === transports[0] ? 1 : median(ratios[transport.label].filter((ratio) => Number.isFinite(ratio))),
            failures: all.flatMap((run) => run.failures),
            serverOutput: all.flatMap((run) => run.serverOutput ?? []),
        };
        rows.push(row);
        const label = `${transport.label} (${row.streams} streams)`.padEnd(30);
        if (row.eventsPerSecond) {
            const cpu = Object.entries(row.cpuMicrosecondsPerEvent)
                .map(([role, us]) => `${role} ${us.toFixed(0)}`)
                .join(", ");
            console.log(
                `  ${label} ${format(row.eventsPerSecond.median).padStart(7)} events/s (${format(row.eventsPerSecond.min)}–${format(row.eventsPerSecond.max)}), publish p50 ${row.publishLatencyMs.p50.toFixed(2)} ms p99 ${row.publishLatencyMs.p99.toFixed(2)} ms` +
                    `   ${transport === transports[0] ? "(the reference)" : `ratio ${row.ratioToInProcess.toFixed(2)}× in-process`}   CPU µs/event: ${cpu}`,
            );
        } else {
            console.log(`  ${label} FAILED in every run`);
        }
        for (const failure of new Set(row.failures)) console.log(`    FAILED: ${failure}`);
        for (const line of new Set(row.serverOutput)) console.log(`    server printed: ${line}`);
    }
    if (!redisInstalled) console.log("  Redis, 2 processes: skipped, redis-server is not installed (apt-get install redis-server)");
    else console.log(`  (Redis ${redis.version}; every server process, redis-server and the cluster primary included, on core 1; the clients on core 0)`);
    return rows;
}

// ---- instructions (callgrind) ----

/**
 * CPU instructions the server executes per request, counted by valgrind's callgrind: unlike req/s on a
 * shared machine (±10–20 % between runs), the count depends only on the code run. The server answers
 * `warmup` requests to warm up (the JIT compiles synchronously with --single-threaded; V8 still
 * optimizes new functions after 5,000 requests, and none after 15,000), then the counter is zeroed and
 * `requests` more are counted, on the main thread only (a route file's TypeScript loader runs on a
 * thread of its own). Two things would otherwise swamp what is measured: requests are sent one after
 * the other on one keep-alive connection (with several at once, how many a server finds waiting at
 * each turn of its event loop, and so what it spends per request, depends on how fast the client is
 * next to a server slowed down by valgrind); and the time V8 spends optimizing
 * (Runtime_CompileOptimized) is left out, so the count is what the code as compiled executes per request.
 */
async function instructionsPerRequest(sideToCount) {
    const { request } = sideToCount;
    const folder = mkdtempSync(path.join(tmpdir(), "vshs-callgrind-"));
    const outFile = path.join(folder, "callgrind.out");
    const command = serverCommand({ ...sideToCount, nodeOptions: ["--single-threaded"] });
    // --toggle-collect alone turns collection off until the named function is entered (--collect-atstart=no):
    // --collect-atstart=yes after it makes the function the part left out, not the only part counted.
    const valgrind = ["--tool=callgrind", "--smc-check=all-non-file", "--toggle-collect=v8::internal::Runtime_CompileOptimized*", "--collect-atstart=yes", "--separate-threads=yes", `--callgrind-out-file=${outFile}`];
    const child = spawn("valgrind", [...valgrind, ...command], { cwd: here });
    try {
        const port = await listeningPort(child, `${sideToCount.label} under valgrind`);
        const count = Number(flags.requests);
        await fireRequests(port, request, Number(flags.warmup));
        execFileSync("callgrind_control", ["-z", String(child.pid)], { stdio: "ignore" });
        await fireRequests(port, request, count);
        execFileSync("callgrind_control", ["-d", String(child.pid)], { stdio: "ignore" });
        const mainThread = readFileSync(`${outFile}.1-01`, "utf8");
        return Number(/^summary: (\d+)/m.exec(mainThread)[1]) / count;
    } finally {
        child.kill("SIGKILL");
        rmSync(folder, { recursive: true, force: true });
    }
}

/** `count` requests, one after the other on one keep-alive connection, each answer read to the end. */
async function fireRequests(port, request, count) {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    for (let left = count; left > 0; left--) await fetchOnce(port, request, agent);
    agent.destroy();
}

async function instructionsReport() {
    console.log(`vshs benchmark, instructions per request — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, valgrind callgrind, ${flags.requests} requests counted on the main thread after ${flags.warmup} to warm up\n`);
    const rows = [];
    for (const scenario of scenarios.filter((each) => ["hello", "echo", "params", "routes", "middleware"].includes(each.name))) {
        await verify(scenario);
        console.log(`## ${scenario.title} — answers verified identical`);
        const counted = new Map();
        const countOnce = async (each) => {
            const key = `${each.server} ${each.cli} ${each.many}`;
            if (!counted.has(key)) counted.set(key, await instructionsPerRequest(each));
            return counted.get(key);
        };
        for (const pair of scenario.pairs) {
            const baseline = { label: pair[0].label, instructions: await countOnce(pair[0]) };
            const candidate = { label: pair[1].label, instructions: await countOnce(pair[1]) };
            rows.push({ scenario: scenario.name, baseline, candidate, ratio: candidate.instructions / baseline.instructions });
            console.log(`  ${candidate.label.padEnd(40)} ${format(candidate.instructions).padStart(8)} instructions/request   ${baseline.label}: ${format(baseline.instructions)}   ratio ${(candidate.instructions / baseline.instructions).toFixed(3)}× (below 1: fewer than raw)`);
        }
    }
    if (flags.output) writeFileSync(flags.output, JSON.stringify({ date: new Date().toISOString(), node: process.version, measure: "callgrind instructions per request", requests: Number(flags.requests), warmup: Number(flags.warmup), rows }, null, 2));
}

// ---- start-up ----

async function startupTime() {
    const folder = mkdtempSync(path.join(tmpdir(), "vshs-startup-"));
    const cache = mkdtempSync(path.join(tmpdir(), "vshs-startup-cache-"));
    mkdirSync(path.join(folder, "node_modules"));
    symlinkSync(repo, path.join(folder, "node_modules", "vshs"));
    for (let i = 0; i < 200; i++) {
        mkdirSync(path.join(folder, "routes", `r${i}`, "{id}"), { recursive: true });
        writeFileSync(
            path.join(folder, "routes", `r${i}`, "{id}", "GET.ts"),
            `import type { HandlerParams } from "vshs";\n\ninterface Answer { route: number; id: string }\n\nexport default ({ route }: HandlerParams): Answer => ({ route: ${i}, id: route.vars.id ?? "" });\n`,
        );
    }
    const once = async () => {
        const port = 20000 + Math.floor(Math.random() * 20000);
        const started = performance.now();
        const child = spawn(...splitCommand(pin(1, [process.execPath, path.join(repo, "dist/cli/main.js"), "routes", "--port", String(port), "--host", "127.0.0.1", "--quiet"])), { cwd: folder, env: { ...process.env, TMPDIR: cache } });
        let output = "";
        child.stdout.on("data", (chunk) => (output += chunk));
        child.stderr.on("data", (chunk) => (output += chunk));
        try {
            for (;;) {
                try {
                    const response = await fetch(`http://127.0.0.1:${port}/r199/x`);
                    if (response.status === 200) return performance.now() - started;
                } catch {
                    // not listening yet
                }
                if (child.exitCode !== null) throw new Error(`the server exited: ${output}`);
                if (performance.now() - started > 30_000) throw new Error("no answer within 30 s");
                await new Promise((resolve) => setTimeout(resolve, 5));
            }
        } finally {
            child.kill("SIGKILL");
        }
    };
    const cold = await once();
    const warm = [];
    for (let i = 0; i < (flags.smoke ? 1 : 3); i++) warm.push(await once());
    rmSync(folder, { recursive: true, force: true });
    rmSync(cache, { recursive: true, force: true });
    return { cold, warm: median(warm) };
}

// ---- report ----

function median(values) {
    const sorted = [...values].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

const format = (n) => Math.round(n).toLocaleString("en-US");
/** Roughly the most one core of the load generator sends on this kind of machine. */
const saturation = 90_000;

/** What the selected scenarios need made or installed before anything runs: h2load, a certificate, the precompressed files. */
async function prepare() {
    if (scenarios.some((scenario) => scenario.tls)) {
        if (!has("h2load")) throw new Error("the h2 scenario needs h2load (apt-get install nghttp2-client); leave it out with --only");
        const { cert, key } = await makeCertificate();
        process.env.VSHS_BENCH_TLS_CERT = cert;
        process.env.VSHS_BENCH_TLS_KEY = key;
    }
    if (scenarios.some((scenario) => scenario.precompressed)) {
        const { root, sizes } = makePrecompressedFixture();
        process.env.VSHS_BENCH_PRECOMPRESSED = root;
        console.log(`precompressed fixture: app.js ${format(sizes.js)} bytes, app.js.br ${format(sizes.br)} (quality 11), app.js.gz ${format(sizes.gz)} (level 9)\n`);
    }
}

/** " 1,234 B body + 321 B headers" as the checks saw it, for the scenarios where the size on the wire is the point. */
function wireNote(scenario, label) {
    const wire = wireBytes.get(`${scenario.name} ${label}`);
    return scenario.showBytes && wire ? `, ${format(wire.body)} B body + ${format(wire.headers)} B headers` : "";
}

async function main() {
    console.log(`vshs benchmark — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus()[0]?.model ?? "cpu"} × ${availableParallelism()}`);
    console.log(`load: ${loadGenerator}${pinned ? " on core 0, server on core 1 (taskset)" : " (not pinned: taskset or a 2nd core missing)"}, ${connections} connections, ${duration} s per run, ${rounds} round(s) of adjacent pairs in both orders\n`);
    await prepare();
    const rows = [];
    for (const scenario of scenarios) {
        await verify(scenario);
        console.log(`## ${scenario.title} — answers verified identical`);
        for (const [baseline, candidate] of scenario.pairs) {
            const runs = { [baseline.label]: [], [candidate.label]: [] };
            const ratios = [];
            for (let round = 0; round < rounds; round++) {
                for (const order of [[baseline, candidate], [candidate, baseline]]) {
                    const results = {};
                    for (const each of order) {
                        results[each.label] = await measure(each);
                        runs[each.label].push(results[each.label]);
                    }
                    ratios.push(results[candidate.label].rps / results[baseline.label].rps);
                }
            }
            const summary = (label) => {
                const rps = runs[label].map((run) => run.rps);
                // h2load gives the mean time per request, not percentiles.
                const latency = runs[label][0].p99 === undefined ? { meanMs: median(runs[label].map((run) => run.meanMs)) } : { p99: median(runs[label].map((run) => run.p99)) };
                return { label, median: median(rps), min: Math.min(...rps), max: Math.max(...rps), ...latency, wire: scenario.showBytes ? wireBytes.get(`${scenario.name} ${label}`) : undefined };
            };
            const row = { scenario: scenario.name, baseline: summary(baseline.label), candidate: summary(candidate.label), ratio: median(ratios) };
            rows.push(row);
            const latency = row.candidate.p99 === undefined ? `mean ${row.candidate.meanMs.toFixed(2)} ms` : `p99 ${row.candidate.p99.toFixed(2)} ms`;
            console.log(
                `  ${candidate.label.padEnd(40)} ${format(row.candidate.median).padStart(7)} req/s (${format(row.candidate.min)}–${format(row.candidate.max)}), ${latency}${wireNote(scenario, candidate.label)}` +
                    `   ${baseline.label}: ${format(row.baseline.median)} req/s${wireNote(scenario, baseline.label)}   ratio ${row.ratio.toFixed(2)}×`,
            );
            if (row.baseline.median > saturation && candidate.protocol !== "h2") console.log(`    (over ${format(saturation)} req/s: near what one core of ${loadGenerator} can send, so the ratio may hide part of a difference)`);
        }
    }
    if (selected("streams")) rows.push(...(await streamsReport()));
    if (selected("sockets")) rows.push(...(await socketsReport()));
    if (selected("channels")) rows.push(...(await channelsReport()));
    let startup;
    if (selected("startup")) {
        startup = await startupTime();
        console.log(`## Start-up with 200 TypeScript route files, to the first 200 answer\n  first run (empty cache): ${format(startup.cold)} ms; later runs: ${format(startup.warm)} ms (median)`);
    }
    if (flags.output) writeFileSync(flags.output, JSON.stringify({ date: new Date().toISOString(), node: process.version, loadGenerator, pinned, duration, rounds, connections, streams: selected("streams") ? streamCount : undefined, channelEvents: selected("channels") ? channelEvents : undefined, rows, startup }, null, 2));
}

await (flags.instructions ? instructionsReport() : main());
