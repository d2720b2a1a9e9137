import assert from "node:assert/strict";
import path from "node:path";
import { describe, it } from "node:test";
import { fixturesDir, serve } from "../helpers/server.ts";
// An internal module: the fast path must agree with the URL parser it stands in for.
import { RequestTarget } from "../../dist/request/target.js";

const targets = [
    "/",
    "/hello-world",
    "/hello-world?",
    "/hello-world?a=1&b=2",
    "/params/caf%C3%A9%20cr%C3%A8me?x=%20",
    "/files/vshs-1.2.json",
    "/a/./b",
    "/a/../b",
    "/a/%2e%2E/b",
    "/a/.%2e/b",
    "/..",
    "/a/..?q",
    "/a\\b",
    "/a b",
    "/é",
    "/a#frag",
    "/a?b#frag",
    "//double//slashes/",
    "/~user/!$&'()*+,;=:@",
    "/a/.hidden/..x/x../.../",
    "/%",
    "/a%2Fb",
    '/"quoted"',
    "/{braces}",
    "/pipe|",
    "/tick`",
];

describe("the request target", () => {
    it("gives the same path and query as the URL parser, whichever way it takes", () => {
        for (const target of targets) {
            const parsed = new URL(`http://localhost${target}`);
            const fast = new RequestTarget(target, "localhost", "localhost:8080");
            assert.equal(fast.pathname, parsed.pathname, target);
            assert.equal(fast.search, parsed.search, target);
            assert.equal(fast.url.href, parsed.href, target);
        }
    });

    it("uses the Host header when there is one, else the server's own", () => {
        assert.equal(new RequestTarget("/x", "example.com:81", "localhost:8080").url.href, "http://example.com:81/x");
        assert.equal(new RequestTarget("/x", "", "localhost:8080").url.href, "http://localhost:8080/x");
        assert.equal(new RequestTarget("/x", undefined, "localhost:8080").url.href, "http://localhost:8080/x");
        assert.equal(new RequestTarget("/x", "example.com", "localhost:8080", { secure: true }).url.href, "https://example.com/x", "over HTTPS");
        assert.equal(new RequestTarget("/x", "example.com", "localhost:8080", { secure: false }).url.href, "http://example.com/x");
    });

    it("refuses a target that is neither a path nor an http(s) URL, with 400", () => {
        for (const target of ["ftp://x/y", "*", "not a url"]) {
            assert.throws(() => new RequestTarget(target, "localhost", "localhost:8080"), (error: { status?: number }) => error.status === 400, target);
        }
    });
});

const logged: { path: string; status: number }[] = [];
const server = await serve({
    routes: { "/ip/GET": () => "the ip route", "/where/GET": ({ url }) => url.host },
    static: path.join(fixturesDir, "static"),
    logger: (entry) => logged.push({ path: entry.path, status: entry.status }),
});
const get = (target: string, host: string) => server.raw(`GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);

describe("the Host header", () => {

    it("never chooses the route: the target is what the client sent, and an invalid Host is a 400", async () => {
        for (const host of ["x/ip?", "x/ip#", "u@h", "x#y", "a b", "h\\x", "h/"]) {
            logged.length = 0;
            const answer = await get("/index.html", host);
            assert.equal(answer.status, 400, host);
            assert.match(answer.body, /^Invalid Host header/, host);
            await new Promise((resolve) => setTimeout(resolve, 20));
            assert.deepEqual(logged, [{ path: "/index.html", status: 400 }], `the access log for ${host}`);
        }
    });

    it("a valid Host is used for the URL a handler sees", async () => {
        for (const [host, seen] of [["example.com:81", "example.com:81"], ["[::1]:8080", "[::1]:8080"], ["my_host", "my_host"]]) {
            const answer = await get("/where", host!);
            assert.equal(answer.status, 200, host);
            assert.equal(answer.body, seen, host);
        }
        assert.equal((await get("/index.html", "localhost")).status, 200);
    });

    it("an absolute-form target whose authority only starts with the Host (a port) is routed by its path", async () => {
        const answer = await server.raw(`GET http://localhost:${server.port}/where HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
        assert.equal(answer.status, 200, answer.body);
    });
});
