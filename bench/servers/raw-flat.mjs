// The baseline: node:http by hand, written as fast as such a server is written. The header list is built
// once, as the flat array res.writeHead() takes; each answer only sets its Content-Length in it (writeHead
// turns the list into text at once, so the one array serves every request). See raw.mjs for the same
// server with a header object per answer.
import http from "node:http";
import { cors, hello, json, manyRoutes, ready, settings } from "./common.mjs";

const { port, many } = settings();
const routeTable = /^\/r(\d+)\/([^/]+)$/;
const jsonHead = [...Object.entries(cors).flat(), "content-type", "application/json", "content-length", ""];
const lengthAt = jsonHead.length - 1;

function sendJSON(res, value) {
    const body = json(value);
    jsonHead[lengthAt] = Buffer.byteLength(body);
    res.writeHead(200, jsonHead);
    res.end(body);
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
    const found = many && routeTable.exec(url);
    if (found && Number(found[1]) < manyRoutes) return sendJSON(res, hello());
    res.writeHead(404);
    res.end();
});
server.listen(port, "127.0.0.1", () => ready(server.address().port));
