import assert from "node:assert/strict";
import path from "node:path";
import { describe, it } from "node:test";
import type { HandlerParams } from "vshs";
import { Router } from "../../src/router/router.ts";
import { fixturesDir, serve } from "../helpers/server.ts";

const server = await serve({ routes: path.join(fixturesDir, "routes") });
/** For issue 23: the route shape from the issue, and a trivial route to time beside it. */
const packages = await serve({
    routes: { "/pkg/{owner}-{name}-{version}.tgz/GET": ({ route }: HandlerParams) => route.vars, "/ping/GET": () => "pong" },
});

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

// ---------------------------------------------------------------------------------------------------
// Variables inside a segment: their values, and the time to match them (issue 23: a ReDoS)

type Vars = Record<string, string> | null;

/** A Router of its own (no route files): the shapes below are too many for the fixture folder. */
function routerFor(...patterns: string[]): Router {
    return new Router(patterns.map((pattern) => ({ method: "GET", pattern, handler: () => null, source: pattern })));
}

function varsAt(router: Router, path: string): Vars {
    return router.match("GET", path)?.route.vars ?? null;
}

/** A segment's pieces: the text before its first variable, then each variable with the text after it. */
function pieces(segment: string): { prefix: string; variables: { name: string; text: string }[] } {
    const [prefix = "", ...rest] = segment.split("{");
    return {
        prefix,
        variables: rest.map((part) => {
            const [name = "", text = ""] = part.split("}");
            return { name, text };
        }),
    };
}

function unique(values: string[]): string[] {
    return [...new Set(values)];
}

function escapeRegExp(text: string): string {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * The values the router gave before the fix: one regex per segment, each variable a lazy `[^]+?`. Right by
 * definition, but it backtracks for seconds on long near-misses, so it judges short paths only.
 */
function lazyRegexVars(pattern: string, path: string): Vars {
    const segments = pattern.split("/");
    const values = path.split("/");
    if (values.length !== segments.length) return null;
    const vars: Record<string, string> = {};
    for (const [index, segment] of segments.entries()) {
        const { prefix, variables } = pieces(segment);
        const source = escapeRegExp(prefix) + variables.map(({ text }) => `([^]+?)${escapeRegExp(text)}`).join("");
        const found = new RegExp(`^${source}$`).exec(values[index]!);
        if (found === null) return null;
        variables.forEach(({ name }, position) => (vars[name] = found[position + 1]!));
    }
    return vars;
}

/** A segment filled with "a" for each variable: a value every shape below accepts. */
function plainValue(segment: string): string {
    const { prefix, variables } = pieces(segment);
    return prefix + variables.map(({ text }) => "a" + text).join("");
}

/**
 * Short values for one segment, dense in ambiguous splits: each variable takes a value from a pool made of
 * the segment's own texts, and each such fill is also tried cut short at either end and lengthened.
 */
function shortValues(segment: string): string[] {
    const { prefix, variables } = pieces(segment);
    const texts = [prefix, ...variables.map(({ text }) => text)].filter((text) => text !== "");
    const pool = unique(["a", ...texts, ...texts.map((text) => text[0]!), ...texts.map((text) => "a" + text)]);
    let fills = [prefix];
    for (const { text } of variables) fills = fills.flatMap((start) => pool.map((value) => start + value + text));
    const lastText = variables.at(-1)?.text || "a";
    return unique(fills.flatMap((fill) => [fill, fill.slice(0, -1), fill.slice(1), fill + lastText]));
}

/** Long values for one segment made of repetitions of its own texts: near-misses, and matches that end with the final text. */
function adversarialValues(segment: string, length: number): string[] {
    const { prefix, variables } = pieces(segment);
    const texts = unique(variables.map(({ text }) => text).filter((text) => text !== ""));
    const lastText = variables.at(-1)?.text ?? "";
    const units = unique([...texts, ...texts.map((text) => text + "a"), ...texts.map((text) => text[0]!), texts.join(""), "a"]).filter((unit) => unit !== "");
    return unique(
        units.flatMap((unit) => {
            const fill = prefix + unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
            return [fill, fill + lastText.slice(0, -1), fill + lastText];
        }),
    );
}

/** Paths for a pattern: each segment with variables in turn takes every value given, the others a plain one. */
function pathsVarying(pattern: string, valuesOf: (segment: string) => string[]): string[] {
    const segments = pattern.split("/");
    return segments.flatMap((segment, index) => {
        if (!segment.includes("{")) return [];
        return valuesOf(segment).map((value) => segments.map((other, at) => (at === index ? value : plainValue(other))).join("/"));
    });
}

const segmentShapes = [
    "/pkg/{name}.tgz",
    "/pkg/{a}-{b}",
    "/pkg/{a}.{b}.tgz",
    "/pkg/{owner}-{name}-{version}.tgz",
    "/pkg/{a}--{b}--{c}",
    "/pkg/{a}.{b}-{c}.{d}",
    "/pkg/{a}-v{b}-v{c}-v{d}.tgz",
    "/pkg/v{major}.{minor}.{patch}",
    "/pkg/{a}-a{b}-a{c}",
    "/pkg/{a}-{b}-{c}/{rest}",
    "/pkg/{a}-{b}-{c}/{x}.{y}.{z}",
];

/**
 * Far above what matching these paths costs in linear time, far below what the backtracking regex took on
 * them: a ceiling that a busy machine cannot reach by chance, and that the old code passed by seconds.
 */
const ceilingMs = 1000;

/** Matches once, and once more if the first took longer than the ceiling (the process may have been paused). */
function timedVars(router: Router, path: string): { vars: Vars; ms: number } {
    let ms = Infinity;
    let vars: Vars = null;
    for (let attempt = 0; attempt < 2 && ms > ceilingMs; attempt++) {
        const started = performance.now();
        vars = varsAt(router, path);
        ms = performance.now() - started;
    }
    return { vars, ms };
}

/** Whether the values put back between the pattern's texts spell the path again. */
function spellsPath(pattern: string, vars: Record<string, string>, path: string): boolean {
    return pattern.replace(/\{([^{}]*)\}/g, (_, name: string) => vars[name] ?? "\0") === path;
}

describe("variables inside a segment (issue 23: a backtracking regex, seconds per request)", () => {
    it("gives each variable the value the lazy pattern gave, on many shapes and short paths", () => {
        let checked = 0;
        for (const pattern of segmentShapes) {
            const router = routerFor(pattern);
            for (const path of pathsVarying(pattern, shortValues)) {
                assert.deepEqual(varsAt(router, path), lazyRegexVars(pattern, path), `${pattern} ${JSON.stringify(path)}`);
                checked++;
            }
        }
        assert.ok(checked > 10_000, `only ${checked} paths checked`);
    });

    it("matches long near-miss paths in time linear in their length", () => {
        for (const pattern of segmentShapes) {
            const router = routerFor(pattern);
            for (const path of pathsVarying(pattern, (segment) => adversarialValues(segment, 8000))) {
                const { vars, ms } = timedVars(router, path);
                const shown = `${pattern} ${JSON.stringify(path.slice(0, 40))}… (${path.length} characters)`;
                assert.ok(ms < ceilingMs, `${shown} took ${ms.toFixed(0)} ms`);
                if (vars !== null) assert.ok(spellsPath(pattern, vars, path), `${shown}: ${JSON.stringify(vars).slice(0, 200)}`);
            }
        }
    });

    it("gives the values the lazy pattern gives on long paths of the shape in the issue", () => {
        const router = routerFor("/pkg/{owner}-{name}-{version}.tgz");
        const dashes = "-".repeat(8000);
        assert.equal(varsAt(router, `/pkg/${dashes}`), null);
        assert.equal(varsAt(router, `/pkg/${"a-".repeat(4000)}.tg`), null);
        assert.deepEqual(varsAt(router, `/pkg/${dashes}.tgz`), { owner: "-", name: "-", version: dashes.slice(4) });
        assert.deepEqual(varsAt(router, `/pkg/${"a-".repeat(4000)}.tgz`), { owner: "a", name: "a", version: "a-".repeat(3998) });
        const long = "x".repeat(2000);
        assert.deepEqual(varsAt(router, `/pkg/${long}-${long}-${long}.tgz`), { owner: long, name: long, version: long });
    });

    it("keeps which route wins in a table mixing shapes", () => {
        const router = routerFor(
            "/w/{name}.tgz", "/w/{owner}-{name}-{version}.tgz", "/w/{a}.{b}.{c}", "/w/v{major}.{minor}", "/w/{id}", "/w/{a}-{b}/{rest}", "/w/static", "/w/{a}-{b}",
        );
        const expected: Record<string, [string, Record<string, string>] | null> = {
            "/w/x.tgz": ["/w/{name}.tgz/GET", { name: "x" }],
            "/w/x-y-z.tgz": ["/w/{owner}-{name}-{version}.tgz/GET", { owner: "x", name: "y", version: "z" }],
            "/w/a-b.tgz": ["/w/{name}.tgz/GET", { name: "a-b" }],
            "/w/a.b.tgz": ["/w/{name}.tgz/GET", { name: "a.b" }],
            "/w/x-y-z.1.tgz": ["/w/{owner}-{name}-{version}.tgz/GET", { owner: "x", name: "y", version: "z.1" }],
            "/w/1.2.3": ["/w/{a}.{b}.{c}/GET", { a: "1", b: "2", c: "3" }],
            "/w/v1.2": ["/w/v{major}.{minor}/GET", { major: "1", minor: "2" }],
            "/w/v1.2.3": ["/w/v{major}.{minor}/GET", { major: "1", minor: "2.3" }],
            "/w/v1-2.3": ["/w/v{major}.{minor}/GET", { major: "1-2", minor: "3" }],
            "/w/v1-2-3.tgz": ["/w/v{major}.{minor}/GET", { major: "1-2-3", minor: "tgz" }],
            "/w/a-b": ["/w/{a}-{b}/GET", { a: "a", b: "b" }],
            "/w/a-b-c": ["/w/{a}-{b}/GET", { a: "a", b: "b-c" }],
            "/w/a-b/c": ["/w/{a}-{b}/{rest}/GET", { a: "a", b: "b", rest: "c" }],
            "/w/x": ["/w/{id}/GET", { id: "x" }],
            "/w/-": ["/w/{id}/GET", { id: "-" }],
            "/w/static": ["/w/static/GET", {}],
            "/w/x/y": null,
        };
        for (const [path, answer] of Object.entries(expected)) {
            const found = router.match("GET", path);
            assert.deepEqual(found && [found.route.path, found.route.vars], answer, path);
        }
    });

    it("treats texts with regex characters, ':', '%', a backslash and non-ASCII letters as plain text", () => {
        const answers: [string, string, Vars][] = [
            ["/s/{a}:{b}", "/s/x::y", { a: "x", b: ":y" }],
            ["/s/{a}:{b}", "/s/x%3Ay", { a: "x", b: "y" }],
            ["/s/{a}:{b}", "/s/:x", null],
            // The text is matched against the decoded value, where find-my-way looks for "%" in its encoded form.
            ["/s/{a}%{b}", "/s/x%25y", null],
            ["/s/{a}%{b}", "/s/x%2525y", { a: "x", b: "y" }],
            ["/s/{a}().{b}+{c}", "/s/().().+++", { a: "().", b: "+", c: "+" }],
            ["/s/{a}().{b}+{c}", "/s/x%28%29.y%2Bz", { a: "x", b: "y", c: "z" }],
            ["/s/{a}$[{b}]|{c}", "/s/$[$[]|]|]|", { a: "$[", b: "]|", c: "]|" }],
            ["/s/{a}\\{b}", "/s/x%5Cy", { a: "x", b: "y" }],
            ["/s/{a}é{b}", "/s/%C3%A9%C3%A9%C3%A9", { a: "é", b: "é" }],
            ["/s/{a}-{b}", "/s/%2D-%2D", { a: "-", b: "-" }],
            ["/s/{a}-{b}", "/s/x%2Fy-z", { a: "x/y", b: "z" }],
            ["/s/v{major}.{minor}", "/s/v.1.2", { major: ".1", minor: "2" }],
            ["/s/v{major}.{minor}", "/s/v...", { major: ".", minor: "." }],
            ["/s/v{major}.{minor}", "/s/v..", null],
        ];
        for (const [pattern, path, vars] of answers) assert.deepEqual(varsAt(routerFor(pattern), path), vars, `${pattern} ${path}`);
    });

    it("answers a trivial request promptly while a long near-miss is matched (a real server)", async () => {
        // The client shares the server's event loop, so a match that blocks it delays both answers: timing
        // both from one start catches a block whichever request the server reads first.
        const started = performance.now();
        const timed = async (pathname: string) => {
            const response = await packages.fetch(pathname);
            await response.text();
            return { status: response.status, ms: performance.now() - started };
        };
        const [nearMiss, trivial] = await Promise.all([timed(`/pkg/${"-".repeat(8000)}`), timed("/ping")]);
        assert.deepEqual([nearMiss.status, trivial.status], [404, 200]);
        assert.ok(Math.max(nearMiss.ms, trivial.ms) < 3 * ceilingMs, `answered after ${nearMiss.ms.toFixed(0)} and ${trivial.ms.toFixed(0)} ms`);
    });
});
