// WebSockets as a route writes them: GET /echo sends each message back; GET /events follows a channel,
// to which POST /fanout?round=N publishes one event (vshs sends it to every socket).
import { channel, startHTTPServer, WebSocketResponse } from "vshs";
import { memory, ready, settings } from "./common.mjs";

const { port } = settings();
const feed = channel("bench-sockets");
let open = 0;
const routes = {
    "/echo/GET": async () =>
        new WebSocketResponse(async (self) => {
            for await (const message of self) await self.send(message);
        }),
    "/events/GET": async () =>
        new WebSocketResponse(async (self) => {
            open++;
            self.onConnectionClosed = () => open--;
            await self.subscribe(feed);
        }),
    "/fanout/POST": async ({ url }) => {
        const round = Number(url.searchParams.get("round"));
        const started = performance.now();
        await feed.publish(round, "tick");
        // Answered once the writes have left (they go out on the next tick), so that `ms` counts them.
        return new Promise((resolve) => setImmediate(() => resolve({ sockets: open, ms: performance.now() - started })));
    },
    "/stats/GET": memory,
};
const server = await startHTTPServer({ hostname: "127.0.0.1", port, routes, heartbeatInterval: 0 });
ready(server.port);
