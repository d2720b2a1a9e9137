/**
 * Path traversal against the static folder: a corpus of request targets sent raw (fetch would normalise
 * them), plus targets fast-check builds from the same pieces at random depths. The folder is a temporary
 * one holding a normal file, a dotfile, a dotfolder and symbolic links leading out; next to it lies a
 * secret file, and another sits in /tmp to be named by absolute paths. Each holds a unique marker.
 * Property: no answer ever carries a marker or /etc/passwd, dotfiles are not served, every answer is a
 * 400 or 404 (or a 301 that stays on the site: the folder-without-slash redirect), no 500, no hang.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import fc from "fast-check";
import { serve } from "../helpers/server.ts";
import { exchange, type RawReply } from "./raw-http.ts";
import { report, scaled } from "./scale.ts";

const deadlineMs = 5000;
const tmpRoot = existsSync("/tmp") ? "/tmp" : tmpdir();

// ---------------------------------------------------------------------------------------------------
// The files

const outsideMarker = `OUTSIDE-SECRET-${randomUUID()}`;
const dotMarker = `DOTFILE-SECRET-${randomUUID()}`;
const absoluteMarker = `ABSOLUTE-SECRET-${randomUUID()}`;
const publicMarker = `PUBLIC-${randomUUID()}`;

// base/
//   secret.txt              outside marker
//   outside/outside.txt     outside marker (and outside/index.html)
//   public/                 the static folder
//     page.txt, sub/inner.txt            public marker (no index.html anywhere: "/" answers 404)
//     .env, sub/.env, .hidden/secret.txt, .hidden/index.html   dot marker
//     link-out -> ../outside, link-secret.txt -> ../secret.txt, link-up -> .., sub/link-root -> /
// /tmp/vshs-traversal-abs-<uuid>.txt     absolute marker
const base = await mkdtemp(path.join(tmpRoot, "vshs-traversal-"));
const root = path.join(base, "public");
const absoluteFile = path.join(tmpRoot, `vshs-traversal-abs-${randomUUID()}.txt`);
after(() => Promise.all([rm(base, { recursive: true, force: true }), rm(absoluteFile, { force: true })]));

await mkdir(path.join(base, "outside"), { recursive: true });
await mkdir(path.join(root, "sub"), { recursive: true });
await mkdir(path.join(root, ".hidden"), { recursive: true });
await writeFile(path.join(base, "secret.txt"), `${outsideMarker}\n`);
await writeFile(path.join(base, "outside", "outside.txt"), `${outsideMarker}\n`);
await writeFile(path.join(base, "outside", "index.html"), `<p>${outsideMarker}</p>\n`);
await writeFile(path.join(root, "page.txt"), `${publicMarker}\n`);
await writeFile(path.join(root, "sub", "inner.txt"), `${publicMarker}\n`);
await writeFile(path.join(root, ".env"), `TOKEN=${dotMarker}\n`);
await writeFile(path.join(root, "sub", ".env"), `TOKEN=${dotMarker}\n`);
await writeFile(path.join(root, ".hidden", "secret.txt"), `${dotMarker}\n`);
await writeFile(path.join(root, ".hidden", "index.html"), `<p>${dotMarker}</p>\n`);
await symlink(path.join(base, "outside"), path.join(root, "link-out"));
await symlink(path.join(base, "secret.txt"), path.join(root, "link-secret.txt"));
await symlink(base, path.join(root, "link-up"));
await symlink("/", path.join(root, "sub", "link-root"));
await writeFile(absoluteFile, `${absoluteMarker}\n`);

/** What /etc/passwd starts with on any Unix; also looked for in case the file is unreadable here. */
const passwd = /root:[^:\n]*:0:0:/;
const passwdReadable = await readFile("/etc/passwd", "utf8").then((text) => passwd.test(text), () => false);

const server = await serve({ routes: { "/ping/GET": () => "pong" }, static: root });

// ---------------------------------------------------------------------------------------------------
// The targets

/** Absolute paths of the secrets, without their leading slash (to be put after any prefix). */
const absoluteRel = absoluteFile.slice(1);
const baseRel = base.slice(1);

/** Ways to say "..". */
const climbs = [
    "..", "%2e%2e", "%2E%2E", ".%2e", "%2e.", ".%2E", "%2E.", "%252e%252e", "%25%32%65%25%32%65", "%c0%ae%c0%ae", "%C0%AE%C0%AE", "%e0%80%ae%e0%80%ae",
    "%f0%80%80%ae%f0%80%80%ae", "%c0%2e%c0%2e", "%u002e%u002e", "%uff0e%uff0e", "%ef%bc%8e%ef%bc%8e", "....", "...", "..;", "..%00", "%00..", "..%20",
    ". .", ".. ", "..%09", "..%0d%0a", ".%00.",
];
/** Ways to say "/". */
const separators = [
    "/", "%2f", "%2F", "\\", "%5c", "%5C", "%252f", "%252F", "%255c", "%c0%af", "%C0%AF", "%c1%9c", "%c1%1c", "%e0%80%af", "%f0%80%80%af", "//", "/./",
    ";/", "%00/", "/%00/", "%u2215", "%e2%88%95", "\\/", "/\\",
];
/** What the climbing aims at, from the static folder's parent or from the filesystem's root. */
const goals = [
    "secret.txt", "outside/outside.txt", "outside/", "etc/passwd", "etc%2fpasswd", absoluteRel, `${baseRel}/secret.txt`, ".env", "%2eenv", "%2Eenv",
    ".hidden/secret.txt", "%2ehidden/secret.txt", ".hidden/", "public/.env", "public/.hidden/secret.txt", "link-secret.txt", "link-out/outside.txt",
    "link-out/", "link-up/secret.txt", "sub/link-root/etc/passwd", `sub/link-root/${absoluteRel}`, "sub/.env", "secret.txt%00.html", ".env%00.txt",
];

/** The corpus written by hand: the classics, each once, plus every climb and separator against the main goals. */
function handCorpus(): string[] {
    const targets = [
        "/..", "/../", "/../secret.txt", "/../../../../../../../../etc/passwd", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt", "/.%2e/secret.txt",
        "/%2e./secret.txt", "/%252e%252e/secret.txt", "/%252e%252e%252fsecret.txt", "/..%2fsecret.txt", "/..%2Fsecret.txt", "/%2e%2e%2fsecret.txt",
        "/%2e%2e%2Fsecret.txt", "/..%5csecret.txt", "/..%5Csecret.txt", "/..\\secret.txt", "/\\..\\secret.txt", "/%5c..%5csecret.txt",
        "/..%255csecret.txt", "/..%252fsecret.txt", "/%c0%ae%c0%ae/secret.txt", "/%c0%ae%c0%ae%c0%afsecret.txt", "/%e0%80%ae%e0%80%ae/secret.txt",
        "/..%c0%afsecret.txt", "/..%c1%9csecret.txt", "/%c0%ae%c0%ae%c1%9csecret.txt", "/%00", "/%00/", "/page.txt%00.html", "/secret.txt%00.html",
        "/..%00/secret.txt", "/.env%00", "/.env%00.txt", "/%00.env", "//etc/passwd", "/etc/passwd", "///etc/passwd", "/%2fetc%2fpasswd",
        "/%2Fetc%2Fpasswd", "/\\etc\\passwd", "/%5cetc%5cpasswd", `/${absoluteRel}`, `//${absoluteRel}`, `/%2f${absoluteRel.replaceAll("/", "%2f")}`,
        `/..${absoluteFile}`, `/../../../../../..${absoluteFile}`, `/%2e%2e${absoluteFile.replaceAll("/", "%2f")}`, `/${baseRel}/secret.txt`,
        "http://localhost/../../secret.txt", "http://localhost/..%2f..%2fsecret.txt", "http://localhost/%2e%2e/%2e%2e/etc/passwd",
        `http://localhost/${absoluteRel}`, "http://evil.example/../secret.txt", "https://localhost/../secret.txt", "http://localhost:1/../secret.txt",
        "http://localhost/link-out", "file:///etc/passwd", `file://${absoluteFile}`, "../secret.txt", "..%2fsecret.txt", "..\\secret.txt", "etc/passwd",
        "secret.txt", ".env", "*", "%2e%2e/secret.txt", "\\..\\secret.txt", "/C:/Windows/win.ini", "/c:/windows/win.ini", "C:\\Windows\\win.ini",
        "C:\\", "/C:\\", "/c:%5c..%5csecret.txt", "/C:%5CWindows%5Cwin.ini", "/c:/../secret.txt", "/%u002e%u002e/secret.txt",
        "/%u002e%u002e%u2215secret.txt", "/....//secret.txt", "/....//....//etc/passwd", "/...//secret.txt", "/..;/secret.txt", "/sub/..;/..;/secret.txt",
        "/;/../secret.txt", "/sub/../../secret.txt", "/sub/%2e%2e/%2e%2e/secret.txt", "/sub/..%2f..%2fsecret.txt", "/sub/..%5c..%5csecret.txt",
        "/sub/./../../secret.txt", "/sub/x/../../../secret.txt", "/?/../secret.txt", "/%3f/../secret.txt", "/#/../secret.txt", "/%23/../secret.txt",
        "/.env", "/%2eenv", "/%2Eenv", "/.%65nv", "/%2e%65%6e%76", "/sub/.env", "/sub/%2eenv", "/sub/../.env", "/x/../.env", "/.env/", "/./.env",
        "/.hidden/secret.txt", "/%2ehidden/secret.txt", "/.hidden/", "/.hidden", "/%2ehidden", "/%2ehidden/", "/.hidden/index.html",
        "/sub/..%2f.env", "/sub%2f..%2f.env", "/link-secret.txt", "/link-out/outside.txt", "/link-out/", "/link-out/index.html", "/link-out",
        "/link-up/secret.txt", "/link-up/outside/outside.txt", "/link-up/public/.env", "/link-up/public/.hidden/secret.txt", "/sub/link-root/etc/passwd",
        `/sub/link-root/${absoluteRel}`, "/sub/link-root/", "/sub/link-root", "/link-up", "/link-up/", "/%2e", "/%2e/", "/.", "/./", "/%2e%2e%2f",
        "/..%2f", "/%2e%2e%5c", "/..%5c", "/..\\", "/ /../secret.txt", "/%20/../secret.txt", "/..%20/secret.txt", "/.../secret.txt",
        `/${"../".repeat(40)}etc/passwd`, `/${"%2e%2e%2f".repeat(40)}etc/passwd`, `/${"..%5c".repeat(40)}etc%5cpasswd`,
    ];
    // Every climb and separator, at depths 1 to 3, against the secret next to the folder and /etc/passwd.
    for (const climb of climbs) {
        for (const separator of separators) {
            for (const depth of [1, 3]) {
                targets.push(`/${(climb + separator).repeat(depth)}secret.txt`);
                targets.push(`/${(climb + separator).repeat(depth + 8)}etc${separator}passwd`);
            }
        }
    }
    return [...new Set(targets)];
}

const piece = <T extends string>(values: readonly T[]) => fc.constantFrom(...values);
/** Random upper/lower case of the hex digits of percent-escapes (`%2e` / `%2E`). */
const recased = (text: string, upper: boolean[]) => {
    let i = 0;
    return text.replace(/%[0-9a-fA-F]{2}/g, (escape) => (upper[i++ % Math.max(1, upper.length)] ? escape.toUpperCase() : escape.toLowerCase()));
};

/** Targets built from the pieces at random depths, starts and endings. */
const generatedTarget = fc
    .record({
        lead: piece(["/", "/", "//", "", "\\", "/sub/", "/sub/x/", "/link-up/", "/link-out/", "/./", "/%2f", "http://localhost/", "/.hidden/", "/%2e%2e/sub/"]),
        steps: fc.array(fc.tuple(piece(climbs), piece(separators)), { minLength: 0, maxLength: 12 }),
        goal: piece(goals),
        ending: piece(["", "", "", "%00", "%00.html", "/", "?x=1", "?../../secret.txt", "#frag", ";x", "%20", ".", "%2f", "\\"]),
        upper: fc.array(fc.boolean(), { maxLength: 8 }),
    })
    .map(({ lead, steps, goal, ending, upper }) => recased(lead + steps.map(([climb, separator]) => climb + separator).join("") + goal + ending, upper));

// ---------------------------------------------------------------------------------------------------
// The checks

function get(target: string): Promise<RawReply> {
    return exchange(server.port, [`GET ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`], deadlineMs);
}

const statuses = new Map<string, number>();

/** One target: no secret in the answer, no dotfile, only 400/404 or an on-site 301. */
async function check(target: string): Promise<void> {
    const reply = await get(target);
    statuses.set(String(reply.status), (statuses.get(String(reply.status)) ?? 0) + 1);
    const body = reply.body.toString("latin1");
    const shown = JSON.stringify(target.length > 200 ? target.slice(0, 200) + "…" : target);
    assert.ok(Number.isInteger(reply.status), `${shown}: no status line: ${JSON.stringify(reply.statusLine)}`);
    assert.ok(!body.includes(outsideMarker), `${shown} served the file outside the static folder (${reply.status})`);
    assert.ok(!body.includes(absoluteMarker), `${shown} served a file named by its absolute path (${reply.status})`);
    assert.ok(!body.includes(dotMarker), `${shown} served a dotfile (${reply.status})`);
    assert.ok(!passwd.test(body), `${shown} served /etc/passwd (${reply.status})`);
    assert.ok(!body.includes(publicMarker), `${shown} resolved to a public file, which no target of the corpus names (${reply.status})`);
    assert.ok(reply.status !== 500, `${shown} answered 500: ${body.slice(0, 200)}`);
    if (reply.status === 301) {
        const location = reply.headers["location"] ?? "";
        // On-site: a path starting with one "/", never "//host" or "/\host" (which browsers take as another site).
        assert.match(location, /^\/(?![/\\])/, `${shown} redirected off-site: ${JSON.stringify(location)}`);
        assert.ok(!/^[a-z][a-z0-9+.-]*:/i.test(location), `${shown} redirected to an absolute URL: ${location}`);
        return;
    }
    assert.ok(reply.status === 400 || reply.status === 404, `${shown} answered ${reply.status}: ${body.slice(0, 200)}`);
}

/** Runs `check` over the targets, a few at a time. */
async function checkAll(targets: readonly string[], concurrency = 8): Promise<void> {
    const failures: string[] = [];
    let next = 0;
    const worker = async () => {
        while (next < targets.length) {
            const target = targets[next++]!;
            try {
                await check(target);
            } catch (error) {
                failures.push((error as Error).message.split("\n")[0]!);
            }
        }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    assert.deepEqual(failures, [], `${failures.length} of ${targets.length} targets failed:\n${failures.slice(0, 30).join("\n")}`);
}

async function assertAlive(): Promise<void> {
    const reply = await get("/ping");
    assert.equal(reply.status, 200);
    assert.equal(reply.body.toString(), "pong");
}

describe("traversal: the static folder cannot be escaped", () => {
    it("serves what it should, so that the 404s below mean something", async () => {
        const page = await get("/page.txt");
        assert.equal(page.status, 200);
        assert.equal(page.body.toString(), `${publicMarker}\n`);
        assert.equal((await get("/sub/inner.txt")).status, 200);
        assert.equal((await get("/sub/../page.txt")).status, 200, "a dot segment that stays inside is fine");
        const folder = await get("/sub");
        assert.equal(folder.status, 301);
        assert.equal(folder.headers["location"], "/sub/");
        assert.ok(existsSync(path.join(root, "link-out", "outside.txt")), "the link leading out exists");
        assert.equal(await readFile(path.join(root, ".env"), "utf8"), `TOKEN=${dotMarker}\n`);
        assert.ok(passwdReadable || !existsSync("/etc/passwd"), "/etc/passwd is readable here, so serving it would show");
    });

    it("answers every target of the hand-written corpus with 400, 404 or an on-site 301, and never a secret", async () => {
        const targets = handCorpus();
        statuses.clear();
        const started = performance.now();
        await checkAll(targets);
        await assertAlive();
        report("traversal corpus", { targets: targets.length, statuses: [...statuses].map(([status, count]) => `${status}×${count}`).join(" "), seconds: (performance.now() - started) / 1000 });
    });

    it("answers every generated target the same way", async () => {
        statuses.clear();
        let tried = 0;
        const seen = new Set<string>();
        const started = performance.now();
        await fc.assert(
            fc.asyncProperty(generatedTarget, async (target) => {
                tried++;
                seen.add(target);
                await check(target);
            }),
            { numRuns: scaled(3000, 300), includeErrorInReport: true },
        );
        await assertAlive();
        report("traversal generated", { targets: tried, distinct: seen.size, statuses: [...statuses].map(([status, count]) => `${status}×${count}`).join(" "), seconds: (performance.now() - started) / 1000 });
    });
});
