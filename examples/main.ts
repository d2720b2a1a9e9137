import { randomBytes } from "node:crypto";
import path from "node:path";
import { startHTTPServer } from "vshs";

// The chat's logins are signed cookies, which need a secret. vshs reads $VSHS_SECRET itself; without
// it, a random one lets you try the chat, and every login ends when the server restarts.
let secret: string | undefined;
if (!process.env.VSHS_SECRET?.trim()) {
    secret = randomBytes(32).toString("base64url");
    console.log("vshs: no $VSHS_SECRET: logins are signed with a random secret until the server restarts");
}

const server = await startHTTPServer({
    hostname: process.env.HOST ?? "localhost",
    port: Number(process.env.PORT ?? 8080),
    routes: "/routes",
    static: "/assets",
    secret,
    // Behind a proxy, TRUST_PROXY=1 makes request.ip (and so what the chat's rate limit counts by) the
    // client's address from X-Forwarded-For rather than the proxy's.
    trustProxy: Number(process.env.TRUST_PROXY ?? 0),
    // One line per request (time, method, path, status, duration), as the vshs command prints.
    logger: true,
});
console.log(`vshs examples listening on ${server.url} (demo page: ${server.url}/demo, chat: ${server.url}/chat)\n`);
// The routes and their files, as the vshs command's start-up table shows them.
const width = Math.max(...server.routes.map((route) => route.path.length));
for (const { method, path: pattern, file } of [...server.routes].sort((a, b) => (a.path === b.path ? (a.method < b.method ? -1 : 1) : a.path < b.path ? -1 : 1))) {
    console.log(`  ${method.padEnd(7)} ${pattern.padEnd(width)}  ${file === undefined ? "" : path.relative(process.cwd(), file)}`);
}
console.log(`\n  static: ${path.relative(process.cwd(), path.join(import.meta.dirname, "assets"))}${path.sep}`);

// Ctrl-C: let requests in flight finish and close the open event streams before leaving.
process.once("SIGINT", () => void server.close().then(() => process.exit(0)));
process.once("SIGTERM", () => void server.close().then(() => process.exit(0)));
