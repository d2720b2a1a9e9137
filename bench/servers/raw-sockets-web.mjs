// The WebSocket baseline on Deno and Bun: their own server and WebSocket by hand. GET /echo sends each
// message back (the echo rows); GET /stats answers the memory.
import { json, memory, ready, settings } from "./common.mjs";

const { port } = settings();

if ("Deno" in globalThis) {
    const server = Deno.serve({ port, hostname: "127.0.0.1", onListen: () => {} }, (request) => {
        if (new URL(request.url).pathname === "/stats") return new Response(json(memory()));
        const { socket, response } = Deno.upgradeWebSocket(request, { idleTimeout: 0 });
        socket.onmessage = (event) => socket.send(event.data);
        return response;
    });
    ready(server.addr.port);
} else {
    const server = Bun.serve({
        port,
        hostname: "127.0.0.1",
        fetch: (request, server) => (new URL(request.url).pathname === "/stats" ? new Response(json(memory())) : server.upgrade(request) ? undefined : new Response("no upgrade", { status: 400 })),
        websocket: { perMessageDeflate: false, idleTimeout: 0, sendPings: false, message: (ws, message) => ws.send(message) },
    });
    ready(server.port);
}
