import assert from "node:assert/strict";
import path from "node:path";
import { describe, it } from "node:test";
import { fixturesDir, serve } from "../helpers/server.ts";

const server = await serve({ routes: path.join(fixturesDir, "routes") });

describe("routing a folder of route files", () => {
    it("gives route.path as written and route.vars", async () => {
        const response = await server.fetch("/params/alice");
        assert.deepEqual(await response.json(), { path: "/params/{name}/GET", vars: { name: "alice" } });
    });

    it("percent-decodes variables", async () => {
        const response = await server.fetch("/params/caf%C3%A9%20cr%C3%A8me");
        assert.deepEqual(((await response.json()) as { vars: unknown }).vars, { name: "café crème" });
    });

    it("answers 400 to a malformed percent-encoding", async () => {
        for (const target of ["/params/caf%E9", "/params/%", "/params/%zz", "/users/%C3%28"]) {
            const response = await server.fetch(target);
            assert.equal(response.status, 400, target);
            assert.match(await response.text(), /Malformed percent-encoding/);
        }
    });

    it("answers 400 to a malformed percent-encoding whatever the method, routed or not", async () => {
        for (const method of ["GET", "HEAD", "POST", "DELETE", "OPTIONS", "PURGE"]) {
            for (const target of ["/params/%zz", "/nowhere/%E0%A4%A", "/users/%C3%28/x"]) {
                const response = await server.fetch(target, { method });
                assert.equal(response.status, 400, `${method} ${target}`);
                if (method !== "HEAD") assert.match(await response.text(), /Malformed percent-encoding/);
            }
        }
    });

    it("lets a static segment win over a variable", async () => {
        assert.equal(await (await server.fetch("/users/me")).text(), "the static segment wins");
        assert.deepEqual(((await (await server.fetch("/users/42")).json()) as { vars: unknown }).vars, { id: "42" });
    });

    it("finds a route without variables by its exact path, and by any other spelling as the tree does", async () => {
        const answers: Record<string, [number, string]> = {
            "/users/me": [200, "the static segment wins"],
            "/users/m%65": [200, "the static segment wins"],
            "/users/me?x=1": [200, "the static segment wins"],
            "/users/me/": [404, "Not Found: /users/me/"],
            "/users//me": [404, "Not Found: /users//me"],
            "/Users/me": [404, "Not Found: /Users/me"],
            "/caf%C3%A9": [200, "unicode folder"],
            "/with%20space": [200, "space folder"],
        };
        for (const [target, [status, text]] of Object.entries(answers)) {
            const response = await server.fetch(target);
            assert.deepEqual([response.status, await response.text()], [status, text], target);
        }
        assert.deepEqual(((await (await server.fetch("/users/me;x")).json()) as { vars: unknown }).vars, { id: "me;x" });
    });

    it("matches variables inside a segment", async () => {
        const response = await server.fetch("/files/vshs-1.2.json");
        assert.deepEqual(await response.json(), { path: "/files/{name}-{version}.json/GET", vars: { name: "vshs", version: "1.2" } });
        assert.equal((await server.fetch("/files/vshs.json")).status, 404);
    });

    it("matches variables inside a segment whose values hold line breaks (found by the fuzzer)", async () => {
        const response = await server.fetch("/files/a%0Ab-%0D%E2%80%A8.json");
        assert.deepEqual(((await response.json()) as { vars: unknown }).vars, { name: "a\nb", version: "\r\u2028" });
    });

    it("requires one character or more for a variable", async () => {
        assert.equal((await server.fetch("/params/")).status, 404);
        assert.equal((await server.fetch("/files/-1.json")).status, 404);
    });

    it("never lets a variable span a slash", async () => {
        assert.equal((await server.fetch("/params/a/b")).status, 404);
    });

    it("serves folders with non-ASCII names and spaces", async () => {
        assert.equal(await (await server.fetch("/caf%C3%A9")).text(), "unicode folder");
        assert.equal(await (await server.fetch("/with%20space")).text(), "space folder");
    });

    it("loads .js, .mjs and .mts route files", async () => {
        assert.equal(await (await server.fetch("/javascript")).text(), "from GET.js");
        assert.equal(await (await server.fetch("/javascript", { method: "POST" })).text(), "from POST.mjs");
        assert.equal(await (await server.fetch("/javascript", { method: "PUT" })).text(), "from PUT.mts");
    });

    it("lets TypeScript route files import sibling and parent .ts files, with or without extension", async () => {
        const response = await server.fetch("/with-helper");
        assert.deepEqual(await response.json(), { loud: "HELLO", quiet: "hello…", config: { from: "shared/config.ts" }, here: true });
    });

    it("ignores files that are not METHOD.ts|mts|js|mjs", async () => {
        assert.equal((await server.fetch("/lowercase")).status, 404);
        assert.equal((await server.fetch("/with-helper/shout")).status, 404);
    });

    it("routes any upper-case method", async () => {
        assert.equal(await (await server.fetch("/custom", { method: "PURGE" })).text(), "purged");
    });

    it("answers 404 with a message when nothing matches", async () => {
        const response = await server.fetch("/nowhere");
        assert.equal(response.status, 404);
        assert.equal(await response.text(), "Not Found: /nowhere");
    });

    it("answers 405 with an Allow header when the path exists with other methods", async () => {
        const response = await server.fetch("/custom", { method: "DELETE" });
        assert.equal(response.status, 405);
        assert.equal(response.headers.get("allow"), "GET, HEAD, OPTIONS, PURGE");
        assert.match(await response.text(), /DELETE is not allowed for \/custom/);
        const post = await server.fetch("/users/me", { method: "POST" });
        assert.equal(post.status, 405);
        assert.equal(post.headers.get("allow"), "GET, HEAD, OPTIONS");
    });

    it("answers HEAD as GET without a body", async () => {
        const get = await server.fetch("/custom");
        const head = await server.fetch("/custom", { method: "HEAD" });
        assert.equal(head.status, 200);
        assert.equal(head.headers.get("content-type"), get.headers.get("content-type"));
        assert.equal(head.headers.get("content-length"), "3");
        assert.equal(await head.text(), "");
    });

    it("uses a HEAD route file where there is one", async () => {
        const head = await server.fetch("/own-head", { method: "HEAD" });
        assert.equal(head.headers.get("x-head"), "own");
    });

    it("uses an OPTIONS route file where there is one", async () => {
        const response = await server.fetch("/own-options", { method: "OPTIONS" });
        assert.equal(await response.text(), "my own OPTIONS");
    });

    it("gives the handler the method, headers, client IP, an abort signal and the URL", async () => {
        const response = await server.fetch("/request-info?x=1", { headers: { "x-test": "yes" } });
        assert.deepEqual(await response.json(), {
            method: "GET",
            header: "yes",
            ip: "127.0.0.1",
            signalAborted: false,
            url: `${server.url}/request-info?x=1`,
        });
    });

    it("keeps a path that starts with // on this server", async () => {
        const answer = await server.raw("GET //evil.example/params/x HTTP/1.1");
        assert.equal(answer.status, 404);
    });

    it("answers 400 to a request target that is not a path", async () => {
        const answer = await server.raw("GET ftp://x/y HTTP/1.1");
        assert.equal(answer.status, 400);
    });
});
