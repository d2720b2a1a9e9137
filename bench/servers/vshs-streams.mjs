// Event streams held open: the route keeps each SSEResponse in a Set, POST /fanout sends one event to all.
import { SSEResponse, startHTTPServer } from "vshs";
import { memory, ready, settings } from "./common.mjs";

const { port } = settings();
const streams = new Set();
const routes = {
    "/events/GET": () =>
        new SSEResponse(async (self) => {
            streams.add(self);
            self.onConnectionClosed = () => streams.delete(self);
        }),
    "/fanout/POST": ({ url }) => {
        const round = Number(url.searchParams.get("round"));
        const started = performance.now();
        for (const stream of streams) stream.send(round, "tick");
        // Answered once the writes have left (they go out on the next tick), so that `ms` counts them.
        return new Promise((resolve) => setImmediate(() => resolve({ streams: streams.size, ms: performance.now() - started })));
    },
    "/stats/GET": memory,
};
const server = await startHTTPServer({ hostname: "127.0.0.1", port, routes });
ready(server.port);
