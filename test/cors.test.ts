import assert from "node:assert/strict";
import path from "node:path";
import { describe, it } from "node:test";
import { HTTPError, SSEResponse } from "vshs";
import { runtime } from "./helpers/runtime.ts";
import { fixturesDir, serve } from "./helpers/server.ts";

const routes = {
    "/ok/GET": () => "ok",
    "/ok/POST": ({ body }: { body: unknown }) => body,
    "/forbidden/GET": () => {
        throw new HTTPError(403, "no");
    },
    "/events/GET": () => new SSEResponse((self) => self.close()),
    "/cache/PURGE": () => "purged",
};
const server = await serve({ routes, static: path.join(fixturesDir, "static") });
const closed = await serve({ routes, cors: false });
const oneOrigin = await serve({ routes, cors: "https://app.example" });
const someOrigins = await serve({ routes, cors: ["https://app.example", "https://admin.example"] });

const allowedMethods = "POST, GET, PATCH, PUT, OPTIONS, DELETE";

describe("CORS", () => {
    it("is on every answer: success, error, 404, static file, event stream", async () => {
        for (const pathname of ["/ok", "/forbidden", "/missing", "/data.json", "/events"]) {
            const response = await server.fetch(pathname, { headers: { origin: "https://elsewhere.example" } });
            assert.equal(response.headers.get("access-control-allow-origin"), "*", pathname);
            assert.equal(response.headers.get("access-control-allow-methods"), allowedMethods, pathname);
            await response.arrayBuffer();
        }
    });

    it("answers a preflight on any path, allowing the headers the browser asks for", async () => {
        for (const [pathname, methods] of [["/ok", "GET, HEAD, OPTIONS, POST"], ["/anything/at/all", allowedMethods]]) {
            const response = await server.fetch(pathname!, {
                method: "OPTIONS",
                headers: { origin: "https://elsewhere.example", "access-control-request-method": "POST", "access-control-request-headers": "content-type, x-token" },
            });
            assert.equal(response.status, 204, pathname);
            assert.equal(response.headers.get("access-control-allow-origin"), "*");
            assert.equal(response.headers.get("access-control-allow-methods"), methods, pathname);
            assert.equal(response.headers.get("access-control-allow-headers"), "content-type, x-token");
        }
    });

    it("a preflight allows the methods the path's routes answer, any method name included", async () => {
        const response = await server.fetch("/cache", { method: "OPTIONS", headers: { origin: "https://elsewhere.example", "access-control-request-method": "PURGE" } });
        assert.equal(response.status, 204);
        assert.equal(response.headers.get("access-control-allow-methods"), "OPTIONS, PURGE");
    });

    it("OPTIONS * (the server as a whole, RFC 9110) lists every method a route answers", { skip: runtime !== "node" && `${runtime === "bun" ? "Bun.serve answers 400 itself" : "Deno.serve passes it on as the path /*"}` }, async () => {
        const answer = await server.raw("OPTIONS * HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        assert.equal(answer.status, 204);
        assert.equal(answer.headers["allow"], "GET, HEAD, OPTIONS, POST, PURGE");
        assert.equal(answer.headers["access-control-allow-origin"], "*");
    });

    it("lists the path's methods in Allow on OPTIONS", async () => {
        const response = await server.fetch("/ok", { method: "OPTIONS" });
        assert.equal(response.headers.get("allow"), "GET, HEAD, OPTIONS, POST");
    });

    it("can be turned off", async () => {
        const response = await closed.fetch("/ok");
        assert.equal(response.headers.get("access-control-allow-origin"), null);
        assert.equal(response.headers.get("access-control-allow-methods"), null);
        const preflight = await closed.fetch("/ok", { method: "OPTIONS", headers: { "access-control-request-headers": "content-type" } });
        assert.equal(preflight.status, 204);
        assert.equal(preflight.headers.get("access-control-allow-headers"), null);
    });

    it("can name the one origin allowed, and then varies on Origin", async () => {
        const response = await oneOrigin.fetch("/ok");
        assert.equal(response.headers.get("access-control-allow-origin"), "https://app.example");
        assert.equal(response.headers.get("vary"), "Origin");
    });

    it("any origin (cors: true) never allows credentials, as browsers require of *", async () => {
        const response = await server.fetch("/ok", { headers: { origin: "https://elsewhere.example" } });
        assert.equal(response.headers.get("access-control-allow-credentials"), null);
    });

    it("a named origin allows credentials (cookies)", async () => {
        const response = await oneOrigin.fetch("/ok", { headers: { origin: "https://app.example" } });
        assert.equal(response.headers.get("access-control-allow-credentials"), "true");
    });

    it("a list of origins: the asking origin echoed back with credentials when listed, nothing for another", async () => {
        for (const origin of ["https://app.example", "https://admin.example"]) {
            const response = await someOrigins.fetch("/ok", { headers: { origin } });
            assert.equal(response.headers.get("access-control-allow-origin"), origin);
            assert.equal(response.headers.get("access-control-allow-credentials"), "true");
            assert.equal(response.headers.get("vary"), "Origin");
        }
        for (const headers of [{ origin: "https://evil.example" }, {}] as Record<string, string>[]) {
            const response = await someOrigins.fetch("/ok", { headers });
            assert.equal(response.headers.get("access-control-allow-origin"), null);
            assert.equal(response.headers.get("access-control-allow-credentials"), null);
            assert.equal(response.headers.get("vary"), "Origin", "a cache must not serve one origin's answer to another");
        }
        const preflight = await someOrigins.fetch("/ok", { method: "OPTIONS", headers: { origin: "https://admin.example", "access-control-request-method": "POST" } });
        assert.equal(preflight.headers.get("access-control-allow-origin"), "https://admin.example");
        const refused = await someOrigins.fetch("/ok", { method: "OPTIONS", headers: { origin: "https://evil.example", "access-control-request-method": "POST" } });
        assert.equal(refused.headers.get("access-control-allow-origin"), null);
    });
});
