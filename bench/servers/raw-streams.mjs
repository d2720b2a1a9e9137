// The event-stream baseline: node:http by hand, sending the bytes vshs's SSEResponse sends.
import http from "node:http";
import { cors, json, memory, ready, settings } from "./common.mjs";

const { port } = settings();
const streams = new Set();
const eventHeaders = { ...cors, "content-type": "text/event-stream", "cache-control": "no-cache, no-transform", "x-accel-buffering": "no" };

function sendJSON(res, value) {
    const body = json(value);
    res.writeHead(200, { ...cors, "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
}

function openStream(res) {
    res.writeHead(200, eventHeaders);
    res.write(":ok\n\n");
    streams.add(res);
    res.once("close", () => streams.delete(res));
}

function fanOut(res, round) {
    const event = `event: tick\ndata: ${JSON.stringify(round)}\n\n`;
    const started = performance.now();
    for (const stream of streams) stream.write(event);
    // Answered once the writes have left (they go out on the next tick), so that `ms` counts them.
    setImmediate(() => sendJSON(res, { streams: streams.size, ms: performance.now() - started }));
}

const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://localhost");
    if (req.method === "GET" && url.pathname === "/events") return openStream(res);
    if (req.method === "POST" && url.pathname === "/fanout") return fanOut(res, Number(url.searchParams.get("round")));
    if (req.method === "GET" && url.pathname === "/stats") return sendJSON(res, memory());
    res.writeHead(404);
    res.end();
});
server.listen(port, "127.0.0.1", () => ready(server.address().port));
