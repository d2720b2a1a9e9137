// The WebSocket baseline on Node: node:http and ws by hand. GET /echo sends each message back; sockets on
// GET /events are kept in a Set, to which POST /fanout?round=N sends one message in a loop (the frame a
// vshs channel sends: {"id","event","data"}).
import http from "node:http";
import { WebSocketServer } from "ws";
import { cors, json, memory, ready, settings } from "./common.mjs";

const { port } = settings();
const sockets = new Set();
const sockets$ = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 1024 * 1024, clientTracking: false });

function sendJSON(res, value) {
    const body = json(value);
    res.writeHead(200, { ...cors, "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
}

function fanOut(res, round) {
    const message = `{"id":"${round}","event":"tick","data":${round}}`;
    const started = performance.now();
    for (const socket of sockets) socket.send(message);
    setImmediate(() => sendJSON(res, { sockets: sockets.size, ms: performance.now() - started }));
}

const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://localhost");
    if (req.method === "POST" && url.pathname === "/fanout") return fanOut(res, Number(url.searchParams.get("round")));
    if (req.method === "GET" && url.pathname === "/stats") return sendJSON(res, memory());
    res.writeHead(404);
    res.end();
});
server.on("upgrade", (req, socket, head) =>
    sockets$.handleUpgrade(req, socket, head, (ws) => {
        if (req.url === "/echo") return ws.on("message", (data, isBinary) => ws.send(isBinary ? data : data.toString(), { binary: isBinary }));
        sockets.add(ws);
        ws.on("close", () => sockets.delete(ws));
    }),
);
server.listen(port, "127.0.0.1", () => ready(server.address().port));
