// `node socket-clients.mjs echo PORT SOCKETS SECONDS`: SOCKETS WebSockets on GET /echo, each sending a
// message and waiting for it to come back, again and again for SECONDS; prints the round trips per second.
// `node socket-clients.mjs fanout PORT SOCKETS REPETITIONS`: SOCKETS WebSockets on GET /events, the
// server's memory (GET /stats) before and after, then REPETITIONS fan-outs (POST /fanout?round=N) timed
// until every socket has the round's message. One line of JSON either way. Plain TCP with hand-written
// frames (masked, as a client's must be), so that 10,000 sockets cost this process little.
import { randomBytes } from "node:crypto";
import http from "node:http";
import net from "node:net";

const [mode, port, count, amount] = [process.argv[2], ...process.argv.slice(3).map(Number)];
const patience = 120_000;
const opening = 200;
const upgrade = (path) => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\nSec-WebSocket-Version: 13\r\n\r\n`;

/** A masked text frame (payloads under 126 bytes). */
function textFrame(text) {
    const payload = Buffer.from(text);
    const mask = randomBytes(4);
    for (let index = 0; index < payload.length; index++) payload[index] ^= mask[index % 4];
    return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, payload]);
}

/** The text payloads of the whole server frames in `buffer` (servers do not mask); the bytes left over. */
function frames(buffer) {
    const texts = [];
    let offset = 0;
    while (buffer.length - offset >= 2) {
        let length = buffer[offset + 1] & 0x7f;
        let start = offset + 2;
        if (length === 126) {
            if (buffer.length - offset < 4) break;
            length = buffer.readUInt16BE(offset + 2);
            start = offset + 4;
        }
        if (buffer.length < start + length) break;
        if ((buffer[offset] & 0x0f) === 1) texts.push(buffer.toString("latin1", start, start + length));
        offset = start + length;
    }
    return { texts, rest: buffer.subarray(offset) };
}

/** One WebSocket: resolves once the 101 has come; `onText` gets each text message after it. */
function openSocket(path, onText) {
    return new Promise((resolve, reject) => {
        const socket = net.connect(port, "127.0.0.1");
        let buffered = Buffer.alloc(0);
        let open = false;
        socket.write(upgrade(path));
        socket.on("data", (chunk) => {
            buffered = Buffer.concat([buffered, chunk]);
            if (!open) {
                const end = buffered.indexOf("\r\n\r\n");
                if (end === -1) return;
                if (!buffered.toString("latin1", 0, 12).startsWith("HTTP/1.1 101")) return reject(new Error(`no 101: ${buffered.toString("latin1", 0, end)}`));
                buffered = buffered.subarray(end + 4);
                open = true;
                resolve(socket);
            }
            const { texts, rest } = frames(buffered);
            buffered = rest;
            for (const text of texts) onText(text);
        });
        socket.on("error", (error) => (open ? fail(`a socket failed: ${error.message}`) : reject(error)));
        socket.on("close", () => (open ? fail("a socket was closed by the server") : reject(new Error("closed before the 101"))));
    });
}

async function openAll(path, onText) {
    const sockets = [];
    let next = 0;
    const opener = async () => {
        while (next < count) {
            next++;
            sockets.push(await openSocket(path, onText));
        }
    };
    await Promise.all(Array.from({ length: Math.min(opening, count) }, opener));
    return sockets;
}

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

function fail(message) {
    console.error(message);
    process.exit(1);
}

/** Each socket sends, waits for its echo, sends again: round trips per second over `seconds`. */
async function echo(seconds) {
    let counting = false;
    let roundTrips = 0;
    const message = "x".repeat(64);
    const sockets = [];
    const onText = (socket) => (text) => {
        if (text !== message) fail(`the echo was ${JSON.stringify(text.slice(0, 80))}`);
        if (counting) roundTrips++;
        socket.write(textFrame(message));
    };
    for (let n = 0; n < count; n++) {
        let socket;
        socket = await openSocket("/echo", (text) => onText(socket)(text));
        sockets.push(socket);
    }
    for (const socket of sockets) socket.write(textFrame(message));
    await new Promise((resolve) => setTimeout(resolve, 500)); // warm up
    counting = true;
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    counting = false;
    const perSecond = roundTrips / ((performance.now() - started) / 1000);
    for (const socket of sockets) {
        socket.removeAllListeners("close");
        socket.resetAndDestroy();
    }
    return { sockets: count, perSecond };
}

/** Memory per idle socket, then the time from POST /fanout until every socket has the round's message. */
async function fanout(repetitions) {
    let round;
    const onText = (text) => {
        if (round !== undefined && text.includes(`"data":${round.number}}`) && --round.pending === 0) round.done();
    };
    await ask("GET", "/stats");
    const before = await ask("GET", "/stats");
    const sockets = await openAll("/events", onText);
    await new Promise((resolve) => setTimeout(resolve, 300)); // every socket follows
    const after = await ask("GET", "/stats");
    const totals = [];
    const serverMs = [];
    for (let number = 1; number <= repetitions; number++) {
        const arrived = new Promise((done) => (round = { number, pending: count, done }));
        const started = performance.now();
        const [answer, ended] = await Promise.all([ask("POST", `/fanout?round=${number}`), arrived.then(() => performance.now())]);
        if (answer.sockets !== count) fail(`the server sent to ${answer.sockets} sockets, not ${count}`);
        totals.push(ended - started);
        serverMs.push(answer.ms);
        await new Promise((resolve) => setTimeout(resolve, 200));
    }
    for (const socket of sockets) {
        socket.removeAllListeners("close");
        socket.resetAndDestroy();
    }
    return { sockets: count, before, after, fanOutMs: totals, serverSendMs: serverMs };
}

setTimeout(() => fail(`no result within ${patience / 1000} s`), patience).unref();
console.log(JSON.stringify(mode === "echo" ? await echo(amount) : await fanout(amount)));
