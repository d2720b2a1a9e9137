// `node stream-clients.mjs PORT STREAMS REPETITIONS`: opens STREAMS event streams (GET /events) on one
// server, asking its memory (GET /stats) before and after, then times REPETITIONS fan-outs (POST /fanout)
// until every stream has its event; prints one line of JSON. Plain sockets, so that 10,000 streams cost
// this process little.
import http from "node:http";
import net from "node:net";

const [port, count, repetitions] = process.argv.slice(2).map(Number);
const request = "GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n";
// The server should never need this long: a stuck run fails rather than hangs.
const patience = 120_000;
// At most this many connections waiting to be accepted, well under the server's listen backlog (511).
const opening = 200;

let fanout;
let sample = "";

/** One event stream: resolves once its ":ok" comment has arrived. */
function openStream(first) {
    return new Promise((resolve, reject) => {
        const socket = net.connect(port, "127.0.0.1");
        const stream = { socket, tail: "", round: 0, open: false };
        socket.setEncoding("latin1");
        socket.write(request);
        socket.on("data", (chunk) => {
            if (first) sample += chunk;
            const text = stream.tail + chunk;
            if (!stream.open && text.includes(":ok\n\n")) {
                stream.open = true;
                resolve(stream);
            }
            if (fanout && stream.round < fanout.round && text.includes(fanout.marker)) {
                stream.round = fanout.round;
                if (--fanout.pending === 0) fanout.done();
            }
            // Enough to find a marker split across two reads.
            stream.tail = text.slice(-32);
        });
        socket.on("error", (error) => (stream.open ? fail(`a stream failed: ${error.message}`) : reject(error)));
        socket.on("close", () => (stream.open ? fail("a stream was closed by the server") : reject(new Error("closed before its first bytes"))));
    });
}

async function openAll() {
    const streams = [];
    let next = 0;
    const opener = async () => {
        while (next < count) {
            const first = next++ === 0;
            streams.push(await openStream(first));
        }
    };
    await Promise.all(Array.from({ length: Math.min(opening, count) }, opener));
    return streams;
}

/** One plain request; its JSON answer. */
function ask(method, pathname) {
    return new Promise((resolve, reject) => {
        const outgoing = http.request({ host: "127.0.0.1", port, method, path: pathname, agent: false, headers: { "content-length": 0 } }, (response) => {
            let body = "";
            response.setEncoding("utf8");
            response.on("data", (chunk) => (body += chunk));
            response.on("end", () => (response.statusCode === 200 ? resolve(JSON.parse(body)) : reject(new Error(`${method} ${pathname}: ${response.statusCode}`))));
        });
        outgoing.on("error", reject);
        outgoing.end();
    });
}

/** Milliseconds from sending POST /fanout until every stream has the event, and the server's own time to send it. */
async function timeFanOut(round) {
    const arrived = new Promise((resolve) => (fanout = { round, marker: `\ndata: ${round}\n\n`, pending: count, done: resolve }));
    const started = performance.now();
    const [answer, ended] = await Promise.all([ask("POST", `/fanout?round=${round}`), arrived.then(() => performance.now())]);
    if (answer.streams !== count) fail(`the server sent to ${answer.streams} streams, not ${count}`);
    return { total: ended - started, server: answer.ms };
}

function fail(message) {
    console.error(message);
    process.exit(1);
}

setTimeout(() => fail(`no result within ${patience / 1000} s`), patience).unref();
await ask("GET", "/stats");
const before = await ask("GET", "/stats");
const streams = await openAll();
const after = await ask("GET", "/stats");
const fanOuts = [];
for (let round = 1; round <= repetitions; round++) {
    fanOuts.push(await timeFanOut(round));
    await new Promise((resolve) => setTimeout(resolve, 200));
}
console.log(JSON.stringify({ streams: count, before, after, fanOutMs: fanOuts.map((each) => each.total), serverSendMs: fanOuts.map((each) => each.server), sample: sample.replace(/^date: .*$/im, "date: (removed)") }));
// A reset leaves no TIME_WAIT behind, so that runs one after the other do not run out of local ports.
for (const { socket } of streams) {
    socket.removeAllListeners("close");
    socket.resetAndDestroy();
}
