/**
 * Static folders under URL prefixes, several of them tried in order, and the folder's confinement when a
 * prefix is in front of it. Fixtures: test/fixtures/static-prefix/{assets,public}, with secret.txt just
 * outside both.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { fixturesDir, serve } from "../helpers/server.ts";

const fixtures = path.join(fixturesDir, "static-prefix");
const assets = path.join(fixtures, "assets");
const publicDir = path.join(fixtures, "public");

/** /static from assets, then the public folder at the root: the usual arrangement. */
const assetsFirst = await serve({ routes: {}, static: [{ dir: assets, prefix: "/static" }, publicDir], staticMaxAge: 3600 });
/** The same folders the other way round; the prefix written with a trailing slash. */
const publicFirst = await serve({ routes: {}, static: [publicDir, { dir: assets, prefix: "/static/" }] });
/** Nothing but the prefixed folder: whatever it refuses is a 404 (or a 400), never another folder's file. */
const prefixOnly = await serve({ routes: {}, static: { dir: assets, prefix: "/static" } });
const deepPrefix = await serve({ routes: {}, static: { dir: assets, prefix: "/a/b" } });
const withDotfiles = await serve({ routes: {}, static: { dir: assets, prefix: "/static" }, dotfiles: true });

const secrets = /PREFIX-SECRET|OUTSIDE-SECRET|ASSETS-DOTFILE|root:x:0|"name": "vshs"/;
const appJs = readFileSync(path.join(assets, "app.js"), "utf8");

describe("a static folder under a prefix", () => {
    it("serves its files below the prefix, and folders through their index.html", async () => {
        const app = await prefixOnly.fetch("/static/app.js", { headers: { "accept-encoding": "identity" } });
        assert.equal(app.status, 200);
        assert.equal(app.headers.get("content-type"), "text/javascript; charset=utf-8");
        assert.equal(await app.text(), appJs);
        assert.equal(await (await prefixOnly.fetch("/static/")).text(), "<h1>assets index</h1>\n");
        assert.equal(await (await prefixOnly.fetch("/static/sub/")).text(), "assets sub index\n");
        assert.equal(await (await deepPrefix.fetch("/a/b/plain.txt")).text(), "plain text, no precompressed sibling\n");
    });

    it("answers nothing outside its prefix", async () => {
        for (const pathname of ["/", "/app.js", "/plain.txt", "/sub/"]) {
            assert.equal((await prefixOnly.fetch(pathname)).status, 404, pathname);
        }
        for (const pathname of ["/a/plain.txt", "/b/plain.txt", "/a/", "/plain.txt"]) {
            assert.equal((await deepPrefix.fetch(pathname)).status, 404, pathname);
        }
    });

    it("matches the prefix by whole segments, as sent", async () => {
        for (const pathname of ["/staticx/app.js", "/staticapp.js", "/static.js", "/static-/app.js", "/STATIC/app.js", "/st%61tic/app.js", "/a/bc/plain.txt", "/a/b.txt"]) {
            const server = pathname.startsWith("/a/") ? deepPrefix : prefixOnly;
            const response = await server.raw(`GET ${pathname} HTTP/1.1`);
            assert.equal(response.status, 404, pathname);
        }
        // /staticx is another folder's business: the public folder at / answers it, not assets.
        assert.equal(await (await assetsFirst.fetch("/staticx/app.js")).text(), "public staticx\n");
    });

    it("redirects the prefix and its folders to their trailing slash, prefix and query kept", async () => {
        const cases: [typeof prefixOnly, string, string][] = [
            [prefixOnly, "/static", "/static/"],
            [prefixOnly, "/static?x=1&y=%20", "/static/?x=1&y=%20"],
            [prefixOnly, "/static/sub?page=2", "/static/sub/?page=2"],
            [deepPrefix, "/a/b", "/a/b/"],
            [deepPrefix, "/a/b/sub?q", "/a/b/sub/?q"],
            [assetsFirst, "/static", "/static/"],
            [publicFirst, "/static?from=public", "/static/?from=public"],
        ];
        for (const [server, pathname, location] of cases) {
            const response = await server.fetch(pathname, { redirect: "manual" });
            assert.equal(response.status, 301, pathname);
            assert.equal(response.headers.get("location"), location, pathname);
        }
        assert.equal((await prefixOnly.fetch("/static", { method: "HEAD", redirect: "manual" })).status, 301);
    });

    it("answers HEAD under a prefix with the GET's headers and no body", async () => {
        const response = await prefixOnly.fetch("/static/plain.txt", { method: "HEAD" });
        assert.equal(response.status, 200);
        assert.equal(response.headers.get("content-length"), "37");
        assert.equal(await response.text(), "");
    });
});

describe("several static folders", () => {
    it("are tried in the order given: the first that has the file answers", async () => {
        assert.equal(await (await assetsFirst.fetch("/static/both.txt")).text(), "from assets\n");
        assert.equal(await (await publicFirst.fetch("/static/both.txt")).text(), "from public/static\n");
        // What the first folder lacks, the next one may have.
        assert.equal(await (await assetsFirst.fetch("/static/fallback.txt")).text(), "only in public/static\n");
        assert.equal(await (await publicFirst.fetch("/static/plain.txt")).text(), "plain text, no precompressed sibling\n");
        assert.equal(await (await assetsFirst.fetch("/both.txt")).text(), "from public\n");
        assert.equal(await (await assetsFirst.fetch("/")).text(), "<h1>public index</h1>\n");
        assert.equal((await assetsFirst.fetch("/static/missing.txt")).status, 404);
    });

    it("serve the index of the folder whose prefix is asked", async () => {
        assert.equal(await (await assetsFirst.fetch("/static/")).text(), "<h1>assets index</h1>\n");
        // public/static/ has no index.html: the folder there is found, the index is not, so assets answers.
        assert.equal(await (await publicFirst.fetch("/static/")).text(), "<h1>assets index</h1>\n");
    });
});

describe("Cache-Control on static files", () => {
    it("says the staticMaxAge on 200, 206 and 304", async () => {
        const full = await assetsFirst.fetch("/static/plain.txt");
        assert.equal(full.headers.get("cache-control"), "public, max-age=3600");
        const partial = await assetsFirst.fetch("/static/plain.txt", { headers: { range: "bytes=0-4" } });
        assert.equal(partial.status, 206);
        assert.equal(partial.headers.get("cache-control"), "public, max-age=3600");
        const etag = full.headers.get("etag");
        // Raw: fetch() adds "Cache-Control: no-cache" to a conditional request, which rightly forbids a 304.
        const notModified = await assetsFirst.raw(`GET /static/plain.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nIf-None-Match: ${etag}\r\n\r\n`);
        assert.equal(notModified.status, 304);
        assert.equal(notModified.headers["cache-control"], "public, max-age=3600");
        assert.equal((await assetsFirst.fetch("/both.txt")).headers.get("cache-control"), "public, max-age=3600");
    });

    it("revalidates every time by default (max-age=0)", async () => {
        assert.equal((await prefixOnly.fetch("/static/plain.txt")).headers.get("cache-control"), "public, max-age=0");
    });

    it("is not on a redirect", async () => {
        const response = await assetsFirst.fetch("/static", { redirect: "manual" });
        assert.equal(response.headers.get("cache-control"), null);
    });
});

/**
 * Every spelling of "one folder up" an attacker might try through a prefix, with secret.txt just outside
 * the folder (and the repository, /etc/passwd and a dotfile as further targets). Sent raw: fetch()
 * would normalise them. A runtime may refuse some targets itself (400); none may answer with a secret.
 */
const attempts = [
    "/static/../secret.txt",
    "/static/../../outside-secret.txt",
    "/static/%2e%2e/secret.txt",
    "/static/%2E%2E/secret.txt",
    "/static/.%2e/secret.txt",
    "/static/%2e./secret.txt",
    "/static/%2e%2e%2fsecret.txt",
    "/static/%2e%2e%2Fsecret.txt",
    "/static%2f..%2fsecret.txt",
    "/static%2F..%2Fsecret.txt",
    "/static%2f../secret.txt",
    "/static%2f..",
    "/static%5c..%5csecret.txt",
    "/static/%2f..%2fsecret.txt",
    "/static/%2F%2e%2e%2Fsecret.txt",
    "/static/..%2fsecret.txt",
    "/static/..%2Fsecret.txt",
    "/static/..%5csecret.txt",
    "/static/..%5Csecret.txt",
    "/static/%5c..%5csecret.txt",
    "/static/%2e%2e%5csecret.txt",
    "/static/..\\secret.txt",
    "/static\\..\\secret.txt",
    "/static/..%255csecret.txt",
    "/static/%252e%252e/secret.txt",
    "/static/%252e%252e%252fsecret.txt",
    "/static/%25%32%65%25%32%65/secret.txt",
    "/static/%%32%65%%32%65/secret.txt",
    "/static/%u002e%u002e/secret.txt",
    "/static/%c0%ae%c0%ae/secret.txt",
    "/static/%c0%ae%c0%ae%c0%afsecret.txt",
    "/static/%e0%80%ae%e0%80%ae/secret.txt",
    "/static/..%c0%afsecret.txt",
    "/static/..%c1%9csecret.txt",
    "/static/%ef%bc%8e%ef%bc%8e/secret.txt",
    "/static/..%ef%bc%8fsecret.txt",
    "/static/..%e2%88%95secret.txt",
    "/static/%00/../secret.txt",
    "/static/..%00/secret.txt",
    "/static/app.js%00.txt",
    "/static/%00",
    "/static/sub/../../secret.txt",
    "/static/sub/..%2f..%2fsecret.txt",
    "/static/sub/%2e%2e/%2e%2e/secret.txt",
    "/static/sub/..%5c..%5csecret.txt",
    "/static//../secret.txt",
    "/static//secret.txt",
    "/static/..//secret.txt",
    "/static/....//secret.txt",
    "/static/.../secret.txt",
    "/static/./../secret.txt",
    "/static/%2e/%2e%2e/secret.txt",
    "/static/..;/secret.txt",
    "/static/%2e%2e;/secret.txt",
    "/static/..%3b/secret.txt",
    "/static/..%09/secret.txt",
    "/static/%2e%2e%20/secret.txt",
    "/static/C:%5csecret.txt",
    "/static/%2fetc%2fpasswd",
    "/static//etc/passwd",
    "/static/../../../../../../../../etc/passwd",
    "/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/static/../../../../package.json",
    "/staticx/../static-prefix/secret.txt",
    "/static/.env",
    "/static/%2eenv",
    "/static/%2Eenv",
    "/static/sub/../.env",
    "/static/sub/%2e%2e/.env",
    "/static/sub/..%2f.env",
    "http://localhost/static/../secret.txt",
    "http://localhost/static/%2e%2e/secret.txt",
    "http://localhost/static%2f..%2fsecret.txt",
];

describe("a prefixed static folder under attack", () => {
    it("never serves a byte from outside it, however the path is spelled", async () => {
        for (const attempt of attempts) {
            const response = await prefixOnly.raw(`GET ${attempt} HTTP/1.1`);
            assert.ok(response.status === 400 || response.status === 404, `${attempt} → ${response.status}`);
            assert.doesNotMatch(response.body, secrets, attempt);
        }
    });

    it("never serves a secret with a second folder behind it", async () => {
        // A climb out of /static may land on the public folder (a dot segment the URL parser resolves):
        // that is a file of a served folder, not a secret; nothing else may answer.
        for (const attempt of attempts) {
            for (const server of [assetsFirst, publicFirst]) {
                const response = await server.raw(`GET ${attempt} HTTP/1.1`);
                assert.ok([200, 301, 400, 404].includes(response.status), `${attempt} → ${response.status}`);
                assert.doesNotMatch(response.body, secrets, attempt);
            }
        }
    });

    it("refuses the climbs with the dotfiles option too, and serves the dotfiles then", async () => {
        assert.equal((await withDotfiles.raw("GET /static/.env HTTP/1.1")).body.includes("ASSETS-DOTFILE"), true);
        for (const attempt of attempts.filter((each) => !each.endsWith("env"))) {
            const response = await withDotfiles.raw(`GET ${attempt} HTTP/1.1`);
            assert.ok(response.status === 400 || response.status === 404, `${attempt} → ${response.status}`);
            assert.doesNotMatch(response.body, secrets, attempt);
        }
    });

    it("redirects only to a path of its own site", async () => {
        for (const attempt of ["/static//evil.example", "/static/%2fevil.example", "/static/%5cevil.example", "/static\\evil.example"]) {
            const response = await prefixOnly.raw(`GET ${attempt} HTTP/1.1`);
            assert.notEqual(response.status, 301, attempt);
            assert.equal(response.headers["location"], undefined, attempt);
        }
    });
});
