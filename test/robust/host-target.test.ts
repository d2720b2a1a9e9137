/**
 * Host and target handling on each runtime: fast-check sends request targets with Host headers built from
 * the characters that change how a URL reads (/ ? # @ \ : [ ] space). Property: the route is chosen by
 * the target alone — the answer is either the path and query the client sent, or a 400 for a Host that is
 * not a host — and the access log records the path that was sent. The server runs in a child process of
 * each runtime (Deno's and Bun's fetched by `npm run runtimes`), since each builds the request's URL its own way.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import fc from "fast-check";
import { repoRoot } from "../helpers/server.ts";
import { exchange, requestHead } from "./raw-http.ts";
import { report, scaled } from "./scale.ts";

const script = path.join(import.meta.dirname, "fixtures/host-target/server.ts");
// Where `npm run runtimes` fetched Deno and Bun (test:robust does first).
const bin = (name: string) => path.join(repoRoot, "runtimes/node_modules/.bin", name);
const runtimes: Record<string, [string, string[]]> = {
    node: [process.execPath, ["--import", "tsx", script]],
    deno: [bin("deno"), ["run", "-A", "--sloppy-imports", script]],
    bun: [bin("bun"), [script]],
};

const children: ChildProcess[] = [];
after(() => children.forEach((child) => child.kill("SIGTERM")));

function start(command: string, args: string[]): Promise<number> {
    const child = spawn(command, args, { cwd: repoRoot, stdio: ["ignore", "pipe", "inherit"] });
    children.push(child);
    return new Promise((resolve, reject) => {
        child.stdout!.setEncoding("utf8").once("data", (line: string) => resolve(Number(new URL(line.trim()).port)));
        child.once("exit", (code) => reject(new Error(`the ${command} server exited (${code})`)));
    });
}

const validHost = /^(?:[A-Za-z0-9.\-_]*|\[[0-9A-Fa-f:.]+\])(?::\d{0,5})?$/;
const hostArbitrary = fc.oneof(
    fc.stringMatching(/^[a-z0-9.-]{1,12}(:[0-9]{1,5})?$/),
    fc.array(fc.constantFrom(..."ab0.-_:/?#@\\[] %"), { minLength: 1, maxLength: 12 }).map((chars) => chars.join("").trim()),
);
const segment = fc.stringMatching(/^[A-Za-z0-9_~-]{1,8}$/);
const targetArbitrary = fc.tuple(fc.array(segment, { minLength: 1, maxLength: 3 }), fc.option(fc.stringMatching(/^[a-z0-9=&]{0,8}$/), { nil: undefined })).map(([segments, query]) => `/${segments.join("/")}${query === undefined ? "" : `?${query}`}`);

describe("the Host header never chooses the route, on each runtime", () => {
    for (const [runtime, [command, args]] of Object.entries(runtimes)) {
        it(runtime, { skip: !existsSync(command) && `${command} is not installed` }, async () => {
            const port = await start(command, args);
            const runs = scaled(400, 80);
            let refused = 0;
            await fc.assert(
                fc.asyncProperty(hostArbitrary, targetArbitrary, async (host, target) => {
                    const reply = await exchange(port, [requestHead(`GET ${target} HTTP/1.1`, [["Host", host], ["Connection", "close"]])]);
                    const body = reply.body.toString();
                    // A host the pattern lets through may still be one the URL parser refuses (".0", a port
                    // over 65535): the handler asks for the URL, so that is a 400 too (Malformed request target).
                    if (validHost.test(host) && URL.canParse(`http://${host}/`)) {
                        assert.equal(reply.status, 200, `Host ${JSON.stringify(host)}: ${body}`);
                        assert.equal(body, target.endsWith("?") ? target.slice(0, -1) : target);
                    } else {
                        refused++;
                        assert.ok(reply.status === 400 || (reply.status === 200 && body === target.replace(/\?$/, "")), `Host ${JSON.stringify(host)} on ${target}: ${reply.status} ${body}`);
                    }
                    const logged = await exchange(port, [requestHead("GET /last-logged HTTP/1.1", [["Host", "localhost"], ["Connection", "close"]])]);
                    assert.equal(logged.body.toString(), target.split("?")[0], "the access log records the path sent");
                }),
                { numRuns: runs },
            );
            report(`host-target ${runtime}`, { requests: runs, "invalid hosts": refused });
        });
    }
});
