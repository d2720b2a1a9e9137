import { startHTTPServer } from "vshs";

const server = await startHTTPServer({
    hostname: process.env.HOST ?? "localhost",
    port: Number(process.env.PORT ?? 8080),
    routes: "/routes",
    static: "/assets",
});
console.log(`vshs examples listening on ${server.url} (demo page: ${server.url}/demo, chat: ${server.url}/chat)`);

// Ctrl-C: let requests in flight finish and close the open event streams before leaving.
process.once("SIGINT", () => void server.close().then(() => process.exit(0)));
process.once("SIGTERM", () => void server.close().then(() => process.exit(0)));
