// What every server answers, so that the answers are byte-identical (checked before timing).
import { fileURLToPath } from "node:url";

export const cors = {
    "access-control-allow-origin": "*",
    "access-control-allow-methods": "POST, GET, PATCH, PUT, OPTIONS, DELETE",
};
export const json = (value) => JSON.stringify(value, null, 4);
export const hello = () => ({ message: "Hello World" });
export const publicDir = fileURLToPath(new URL("../fixtures/public", import.meta.url));
export const manyRoutes = 1000;

/** `node servers/x.mjs PORT [many]`: listens on 127.0.0.1:PORT, then prints READY. */
export function settings() {
    return { port: Number(process.argv[2] ?? 0), many: process.argv[3] === "many" };
}

export function ready(port) {
    console.log(`READY ${port}`);
}

// Ctrl-C ends the process normally, so that `node --cpu-prof` writes its profile.
process.on("SIGINT", () => process.exit(0));

/** The event-stream servers' memory, after a full collection when Node runs with --expose-gc. */
export function memory() {
    globalThis.gc?.();
    const { rss, heapUsed, external } = process.memoryUsage();
    return { rss, heapUsed, external };
}
