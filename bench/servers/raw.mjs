// The baseline: node:http by hand, no framework.
import { createReadStream, statSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { cors, hello, json, manyRoutes, publicDir, ready, settings } from "./common.mjs";

const { port, many } = settings();
const routeTable = /^\/r(\d+)\/([^/]+)$/;

function sendJSON(res, value) {
    const body = json(value);
    res.writeHead(200, { ...cors, "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
}

function sendFile(req, res, relative) {
    const file = path.join(publicDir, relative);
    const stats = statSync(file);
    const etag = `W/"${stats.size.toString(16)}-${stats.mtime.getTime().toString(16)}"`;
    if (req.headers["if-none-match"] === etag) {
        res.writeHead(304, { ...cors, etag });
        return res.end();
    }
    res.writeHead(200, { ...cors, "content-type": "application/octet-stream", "content-length": stats.size, etag });
    createReadStream(file).pipe(res);
}

const server = http.createServer((req, res) => {
    const url = req.url;
    if (req.method === "GET" && url === "/hello-world") return sendJSON(res, hello());
    if (req.method === "POST" && url === "/echo") {
        const chunks = [];
        req.on("data", (chunk) => chunks.push(chunk));
        req.on("end", () => sendJSON(res, JSON.parse(Buffer.concat(chunks).toString())));
        return;
    }
    if (req.method === "GET" && url.startsWith("/params/")) return sendJSON(res, { name: decodeURIComponent(url.slice(8)) });
    if (req.method === "GET" && url.startsWith("/static/")) return sendFile(req, res, url);
    const found = many && routeTable.exec(url);
    if (found && Number(found[1]) < manyRoutes) return sendJSON(res, hello());
    res.writeHead(404);
    res.end();
});
server.listen(port, "127.0.0.1", () => ready(server.address().port));
