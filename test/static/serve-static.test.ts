import assert from "node:assert/strict";
import { mkdtemp, mkdir, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { fixturesDir, serve } from "../helpers/server.ts";

const server = await serve({
    routes: { "/style.css/GET": () => "a route wins over a static file" },
    static: path.join(fixturesDir, "static"),
});

// A static folder with symbolic links, made here: links inside it may be followed, links leading out may not.
const linked = await mkdtemp(path.join(tmpdir(), "vshs-static-"));
await mkdir(path.join(linked, "public"));
await writeFile(path.join(linked, "public", "inside.txt"), "inside\n");
await writeFile(path.join(linked, "secret.txt"), "LINKED-SECRET\n");
await symlink(path.join(linked, "public", "inside.txt"), path.join(linked, "public", "link-in.txt"));
await symlink(path.join(linked, "secret.txt"), path.join(linked, "public", "link-out.txt"));
await symlink(linked, path.join(linked, "public", "folder-out"));
const linkedServer = await serve({ routes: {}, static: path.join(linked, "public") });
const withDotfiles = await serve({ routes: {}, static: path.join(fixturesDir, "static"), dotfiles: true });

const secrets = /OUTSIDE-SECRET|SECRET-DOTFILE|HIDDEN-FOLDER|LINKED-SECRET|root:x:0|"name": "vshs"/;

describe("the static folder", () => {
    it("serves / and folders through their index.html", async () => {
        const root = await server.fetch("/");
        assert.equal(root.headers.get("content-type"), "text/html; charset=utf-8");
        assert.equal(await root.text(), "<h1>static index</h1>\n");
        assert.equal(await (await server.fetch("/sub/")).text(), "sub index\n");
    });

    it("redirects a folder asked without its trailing slash", async () => {
        const response = await server.fetch("/sub?x=1", { redirect: "manual" });
        assert.equal(response.status, 301);
        assert.equal(response.headers.get("location"), "/sub/?x=1");
    });

    it("sets Content-Type from the extension", async () => {
        const types: Record<string, string> = {
            "/data.json": "application/json; charset=utf-8",
            "/app.js": "text/javascript; charset=utf-8",
            "/with%20space.txt": "text/plain; charset=utf-8",
        };
        for (const [pathname, type] of Object.entries(types)) {
            const response = await server.fetch(pathname);
            assert.equal(response.status, 200, pathname);
            assert.equal(response.headers.get("content-type"), type, pathname);
        }
    });

    it("serves awkward file names", async () => {
        assert.equal(await (await server.fetch("/with%20space.txt")).text(), "spaced\n");
        assert.equal(await (await server.fetch("/f%C3%BCnke.txt")).text(), "umlaut\n");
        assert.equal(await (await server.fetch("/100%25.txt")).text(), "percent\n");
    });

    it("lets a route win over a static file", async () => {
        assert.equal(await (await server.fetch("/style.css")).text(), "a route wins over a static file");
    });

    // Raw requests: fetch() adds "Cache-Control: no-cache" to conditional requests, which rightly forbids a 304.
    it("answers 304 to a matching If-None-Match or If-Modified-Since, with CORS", async () => {
        const first = await server.fetch("/data.json");
        const etag = first.headers.get("etag");
        const lastModified = first.headers.get("last-modified");
        assert.ok(etag && lastModified);
        const conditional = (header: string) => server.raw(`GET /data.json HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n${header}\r\n\r\n`);
        const byEtag = await conditional(`If-None-Match: ${etag}`);
        assert.equal(byEtag.status, 304);
        assert.equal(byEtag.body, "");
        assert.equal(byEtag.headers["access-control-allow-origin"], "*");
        assert.equal((await conditional(`If-Modified-Since: ${lastModified}`)).status, 304);
        assert.equal((await conditional('If-None-Match: "other"')).status, 200);
    });

    it("answers Range requests with 206, and 416 when out of range", async () => {
        const partial = await server.fetch("/data.json", { headers: { range: "bytes=0-3" } });
        assert.equal(partial.status, 206);
        assert.equal(partial.headers.get("content-range"), "bytes 0-3/8");
        assert.equal(await partial.text(), '{"a"');
        const outside = await server.fetch("/data.json", { headers: { range: "bytes=100-200" } });
        assert.equal(outside.status, 416);
        assert.equal(outside.headers.get("content-range"), "bytes */8");
    });

    it("answers HEAD with the headers and no body", async () => {
        const response = await server.fetch("/data.json", { method: "HEAD" });
        assert.equal(response.headers.get("content-length"), "8");
        assert.equal(await response.text(), "");
    });

    it("answers 404 for a missing file, and for methods other than GET and HEAD", async () => {
        assert.equal((await server.fetch("/missing.txt")).status, 404);
        assert.equal((await server.fetch("/data.json", { method: "POST" })).status, 404);
    });

    it("hides dotfiles and dot-folders", async () => {
        for (const pathname of ["/.env", "/%2eenv", "/.hidden/file.txt", "/%2Ehidden/file.txt"]) {
            const response = await server.raw(`GET ${pathname} HTTP/1.1`);
            assert.equal(response.status, 404, pathname);
            assert.doesNotMatch(response.body, secrets);
        }
    });

    it("serves dotfiles when the dotfiles option says so, and still nothing outside the folder", async () => {
        assert.equal((await withDotfiles.raw("GET /.env HTTP/1.1")).status, 200);
        assert.equal((await withDotfiles.raw("GET /.hidden/file.txt HTTP/1.1")).status, 200);
        for (const pathname of ["/../outside-secret.txt", "/%2e%2e/outside-secret.txt", "/.%2e/outside-secret.txt"]) {
            const response = await withDotfiles.raw(`GET ${pathname} HTTP/1.1`);
            assert.ok(response.status === 400 || response.status === 404, `${pathname}: ${response.status}`);
            assert.doesNotMatch(response.body, /OUTSIDE-SECRET/);
        }
    });

    it("never serves a byte from outside the folder, however the path is encoded", async () => {
        const attempts = [
            "/../outside-secret.txt",
            "/../../package.json",
            "/..%2foutside-secret.txt",
            "/..%2Foutside-secret.txt",
            "/%2e%2e/outside-secret.txt",
            "/%2E%2E/%2E%2E/package.json",
            "/%2e%2e%2foutside-secret.txt",
            "/%252e%252e/outside-secret.txt",
            "/%252e%252e%252foutside-secret.txt",
            "/..%5coutside-secret.txt",
            "/..\\outside-secret.txt",
            "/sub/..%5c..%5coutside-secret.txt",
            "/%c0%ae%c0%ae/outside-secret.txt",
            "/%c0%ae%c0%ae%c0%afoutside-secret.txt",
            "/%e0%80%ae%e0%80%ae/outside-secret.txt",
            "/index.html%00.txt",
            "/%00/../outside-secret.txt",
            "/sub/../../outside-secret.txt",
            "/....//outside-secret.txt",
            "//etc/passwd",
            "/%2fetc%2fpasswd",
            "/%2Fetc/passwd",
            "/etc/passwd",
            "/C:/Windows/win.ini",
            "/C:%5cWindows%5cwin.ini",
            "/%5c%5c..%5coutside-secret.txt",
            "http://localhost/../outside-secret.txt",
            "http://localhost/%2e%2e/outside-secret.txt",
        ];
        for (const attempt of attempts) {
            const response = await server.raw(`GET ${attempt} HTTP/1.1`);
            assert.ok(response.status === 400 || response.status === 404, `${attempt} → ${response.status}`);
            assert.doesNotMatch(response.body, secrets, attempt);
        }
    });

    it("follows symbolic links inside the folder, never out of it", async () => {
        assert.equal(await (await linkedServer.fetch("/link-in.txt")).text(), "inside\n");
        for (const pathname of ["/link-out.txt", "/folder-out/secret.txt", "/folder-out/"]) {
            const response = await linkedServer.fetch(pathname);
            assert.equal(response.status, 404, pathname);
            assert.doesNotMatch(await response.text(), secrets);
        }
    });
});
