import assert from "node:assert/strict";
import { describe, it } from "node:test";
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

    it("uses the Host header when it is a host name, else the server's own", () => {
        assert.equal(new RequestTarget("/x", "example.com:81", "localhost:8080").url.href, "http://example.com:81/x");
        assert.equal(new RequestTarget("/x", "evil.com/path@", "localhost:8080").url.href, "http://localhost:8080/x");
        assert.equal(new RequestTarget("/x", undefined, "localhost:8080").url.href, "http://localhost:8080/x");
    });

    it("refuses a target that is neither a path nor an http(s) URL, with 400", () => {
        for (const target of ["ftp://x/y", "*", "not a url"]) {
            assert.throws(() => new RequestTarget(target, "localhost", "localhost:8080"), (error: { status?: number }) => error.status === 400, target);
        }
    });
});
