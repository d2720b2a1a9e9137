// The HTTP/2 baseline: node:http2's createSecureServer by hand, answering GET /hello-world with the bytes
// servers/raw.mjs sends over HTTP/1.1. `allowHTTP1` as vshs sets it (ALPN then offers both).
// `node servers/raw-h2.mjs PORT`: the core API (a "stream" listener, `stream.respond()`), the leanest way;
// this one answers HTTP/2 only, which is all h2load and the check speak to it.
// `node servers/raw-h2.mjs PORT compat`: the compatibility API (a "request" listener, `res.writeHead()`),
// the one that also serves HTTP/1.1 clients and that vshs uses: what the API itself costs shows between the two.
import { readFileSync } from "node:fs";
import http2 from "node:http2";
import { tlsFiles } from "./catalogue.mjs";
import { cors, hello, json, ready, settings } from "./common.mjs";

const { port } = settings();
const { cert, key } = tlsFiles();
const server = http2.createSecureServer({ cert: readFileSync(cert), key: readFileSync(key), allowHTTP1: true });
const headers = (body) => ({ ...cors, "content-type": "application/json", "content-length": Buffer.byteLength(body) });
if (process.argv[3] === "compat") {
    server.on("request", (req, res) => {
        if (req.method === "GET" && req.url === "/hello-world") {
            const body = json(hello());
            res.writeHead(200, headers(body));
            return res.end(body);
        }
        res.writeHead(404);
        res.end();
    });
} else {
    server.on("stream", (stream, requestHeaders) => {
        if (requestHeaders[":method"] === "GET" && requestHeaders[":path"] === "/hello-world") {
            const body = json(hello());
            stream.respond({ ":status": 200, ...headers(body) });
            return stream.end(body);
        }
        stream.respond({ ":status": 404 });
        stream.end();
    });
}
server.listen(port, "127.0.0.1", () => ready(server.address().port));
