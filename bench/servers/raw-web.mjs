// The baseline on Deno and Bun: their own server (Deno.serve, Bun.serve) by hand, no framework.
import { cors, hello, json, ready, settings } from "./common.mjs";

const { port } = settings();
const jsonHeaders = { ...cors, "content-type": "application/json" };
const sendJSON = (value) => new Response(json(value), { headers: jsonHeaders });

async function handle(request) {
    const url = request.url;
    const pathname = url.slice(url.indexOf("/", url.indexOf("//") + 2));
    if (request.method === "GET" && pathname === "/hello-world") return sendJSON(hello());
    if (request.method === "POST" && pathname === "/echo") return sendJSON(await request.json());
    if (request.method === "GET" && pathname.startsWith("/params/")) return sendJSON({ name: decodeURIComponent(pathname.slice(8)) });
    return new Response(null, { status: 404 });
}

if ("Deno" in globalThis) {
    const server = Deno.serve({ port, hostname: "127.0.0.1", onListen: () => {} }, handle);
    ready(server.addr.port);
} else {
    const server = Bun.serve({ port, hostname: "127.0.0.1", fetch: handle });
    ready(server.port);
}
