import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import http from "node:http";
import https from "node:https";
import path from "node:path";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { startHTTPServer } from "vshs";
import { runtime } from "../helpers/runtime.ts";
import { cliPath, runCli, startCli, type RunningCli } from "../helpers/cli.ts";
import { fixturesDir, repoRoot } from "../helpers/server.ts";

const routes = path.join(fixturesDir, "cli-routes");
const version = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")).version;
const running: RunningCli[] = [];
/** What the banner names: the runtime this test runs on serves too (the CLI is started with it). */
const runtimeName = runtime === "deno" ? `Deno ${(globalThis as unknown as { Deno: { version: { deno: string } } }).Deno.version.deno}` : runtime === "bun" ? `Bun ${(globalThis as unknown as { Bun: { version: string } }).Bun.version}` : `Node ${process.versions.node}`;
after(() => running.forEach((cli) => cli.child.kill("SIGKILL")));

async function start(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunningCli> {
    const cli = await startCli(args, options);
    running.push(cli);
    return cli;
}

/** A one-line error on stderr, nothing on stdout, exit code 1. */
async function assertMistake(args: string[], message: string | RegExp, options: { cwd?: string } = {}) {
    const { code, stdout, stderr } = await runCli(args, options);
    assert.equal(code, 1, `${args.join(" ")}: exit code`);
    assert.equal(stdout, "");
    assert.equal(stderr.trimEnd().split("\n").length, 1, `one line: ${stderr}`);
    if (typeof message === "string") assert.equal(stderr.trimEnd(), message);
    else assert.match(stderr.trimEnd(), message);
}

describe("vshs --help and --version", () => {
    it("prints the usage with every option", async () => {
        const { code, stdout } = await runCli(["--help"]);
        assert.equal(code, 0);
        for (const flag of ["--static DIR", "--port N", "--host H", "--watch", "--workers N", "--quiet", "--shutdown-timeout MS", "--heartbeat MS", "--channel-history N", "--channels-kept N", "--redis URL", "--help", "--version", "init [dir]"]) {
            assert.ok(stdout.includes(flag), flag);
        }
        assert.equal((await runCli(["-h"])).stdout, stdout);
    });

    it("prints the version", async () => {
        assert.deepEqual(await runCli(["--version"]), { code: 0, stdout: `${version}\n`, stderr: "" });
        assert.equal((await runCli(["-v"])).stdout, `${version}\n`);
    });
});

describe("vshs mistakes: one line, exit code 1", () => {
    it("an unknown flag", () => assertMistake(["--colour"], "vshs: unknown option --colour (see vshs --help)"));
    it("a flag without its value", () => assertMistake([routes, "--port"], "vshs: --port needs a value (see vshs --help)"));
    it("a value for a flag that takes none", () => assertMistake([routes, "--watch=yes"], "vshs: --watch takes no value (see vshs --help)"));
    it("a bad port", () => assertMistake([routes, "--port", "80a"], 'vshs: --port must be a whole number from 0 to 65535, not "80a"'));
    it("a port out of range", () => assertMistake([routes, "--port", "70000"], 'vshs: --port must be a whole number from 0 to 65535, not "70000"'));
    it("a bad $PORT", () => runCli([routes], { env: { PORT: "http" } }).then(({ code, stderr }) => {
        assert.equal(code, 1);
        assert.equal(stderr, 'vshs: $PORT must be a whole number from 0 to 65535, not "http"\n');
    }));
    it("a bad worker count", () => assertMistake([routes, "--workers", "0"], 'vshs: --workers must be a whole number from 1 to 1024, not "0"'));
    it("a bad shutdown timeout", async () => {
        await assertMistake([routes, "--shutdown-timeout", "-5"], "vshs: --shutdown-timeout needs a value, not an option (see vshs --help)");
        await assertMistake([routes, "--shutdown-timeout=-5"], 'vshs: --shutdown-timeout must be a whole number from 0 to 2147483647, not "-5"');
    });
    it("a bad heartbeat or channel history", async () => {
        await assertMistake([routes, "--heartbeat=1.5"], 'vshs: --heartbeat must be a whole number from 0 to 2147483647, not "1.5"');
        await assertMistake([routes, "--channel-history=lots"], 'vshs: --channel-history must be a whole number from 0 to 1000000, not "lots"');
        await assertMistake([routes, "--channels-kept=0"], 'vshs: --channels-kept must be a whole number from 1 to 10000000, not "0"');
    });
    it("a Redis server that cannot be reached", () =>
        assertMistake([routes, "--port", "0", "--redis", "redis://127.0.0.1:1"], /^vshs: Cannot reach Redis at redis:\/\/127\.0\.0\.1:1/));
    it("two routes folders", () => assertMistake(["a", "b"], "vshs: one routes folder only, not 2: a b"));
    it("--watch with --workers", () => assertMistake([routes, "--watch", "--workers", "2"], "vshs: --watch reloads routes in one process: it cannot be combined with --workers"));
    it("a missing routes folder", () => assertMistake(["no-such-folder"], "vshs: no routes folder at no-such-folder (give the folder as the first argument)"));
    it("no routes folder where it runs", () => assertMistake([], "vshs: no routes folder at routes (give the folder as the first argument)", { cwd: path.join(fixturesDir, "static") }));
    it("a missing static folder", () => assertMistake([routes, "--static", "nope"], "vshs: no static folder at nope"));
    it("a missing second static folder", () => assertMistake([routes, "--static", "test/fixtures/static", "--static", "nope=/assets"], "vshs: no static folder at nope"));
    it("a static prefix that is not a URL path", () => assertMistake([routes, "--static", "test/fixtures/static=/a/../b"], 'vshs: A static prefix must be a URL path such as "/static", not "/a/../b"'));
    it("--tls-cert without --tls-key", () => assertMistake([routes, "--tls-cert", "cert.pem"], "vshs: --tls-cert needs --tls-key too"));
    it("--https with a certificate of one's own", () => assertMistake([routes, "--https", "--tls-cert", "c.pem", "--tls-key", "k.pem"], "vshs: --https makes its own certificate: give it, or --tls-cert and --tls-key, not both"));
    it("a TLS key that cannot be read", () => assertMistake([routes, "--port", "0", "--tls-cert", "test/fixtures/outside-secret.txt", "--tls-key", "nope.pem"], /^vshs: The TLS cert file holds no PEM block: .*outside-secret\.txt \(option "tls\.cert" or --tls-cert\)$/));
    it("a broken route file", () => assertMistake([path.join(fixturesDir, "broken-routes")], /^vshs: .*broken-routes[\\/]bad[\\/]GET\.ts: the default export must be a function, not a number$/));

    it("a port in use, naming it", async () => {
        const taken = await startHTTPServer({ hostname: "127.0.0.1", port: 0, routes: {} });
        try {
            await assertMistake([routes, "--host", "127.0.0.1", "--port", String(taken.port)], `vshs: Port ${taken.port} is already in use on 127.0.0.1 (--port or $PORT)`);
        } finally {
            await taken.close();
        }
    });
});

describe("vshs serving", () => {
    it("prints the URL, the routes sorted with their files, and the static folder", async () => {
        const cli = await start([path.relative(repoRoot, routes), "--static", "test/fixtures/static", "--port", "0", "--host", "127.0.0.1"]);
        assert.match(cli.url, /^http:\/\/127\.0\.0\.1:\d+$/);
        await cli.waitForOutput(/static: /);
        const banner = cli.stdout().split("\n").slice(0, 8).join("\n");
        assert.equal(
            banner.replace(/:\d+/, ":PORT"),
            `vshs ${version} serving http://127.0.0.1:PORT on ${runtimeName}\n\n` +
                "  GET     /events  test/fixtures/cli-routes/events/GET.ts\n" +
                "  GET     /hello   test/fixtures/cli-routes/hello/GET.ts\n" +
                "  GET     /pid     test/fixtures/cli-routes/pid/GET.ts\n" +
                "  GET     /slow    test/fixtures/cli-routes/slow/GET.ts\n\n" +
                "  static: test/fixtures/static/",
        );
        assert.equal(await (await fetch(`${cli.url}/hello`)).text(), "hello");
        assert.equal(await (await fetch(`${cli.url}/data.json`)).text(), '{"a":1}\n');
    });

    it("lists each _middleware file as a row for every method under its folder", async () => {
        const cli = await start([path.relative(repoRoot, path.join(fixturesDir, "middleware-routes")), "--port", "0", "--host", "127.0.0.1", "--quiet"]);
        await cli.waitForOutput(/static: /);
        const table = cli.stdout().split("\n").slice(2, 8).join("\n");
        assert.equal(
            table,
            "  *       / and below       test/fixtures/middleware-routes/_middleware.ts\n" +
                "  *       /admin and below  test/fixtures/middleware-routes/admin/_middleware.ts\n" +
                "  GET     /admin/events     test/fixtures/middleware-routes/admin/events/GET.ts\n" +
                "  GET     /admin/stats      test/fixtures/middleware-routes/admin/stats/GET.ts\n" +
                "  GET     /public           test/fixtures/middleware-routes/public/GET.ts\n",
        );
    });

    it("lists several static folders with their prefixes, and serves each under its own", async () => {
        const cli = await start([routes, "--static", "test/fixtures/static=/files/", "--static", "test/fixtures/static", "--port", "0", "--host", "127.0.0.1", "--quiet"]);
        await cli.waitForOutput(/static: \/ /);
        assert.match(cli.stdout(), /\n {2}static: \/files\/ {2}test\/fixtures\/static\/\n {2}static: \/ {8}test\/fixtures\/static\/\n/);
        assert.equal(await (await fetch(`${cli.url}/files/data.json`)).text(), '{"a":1}\n');
        assert.equal(await (await fetch(`${cli.url}/data.json`)).text(), '{"a":1}\n');
    });

    it("--static-max-age sets Cache-Control on static files; --no-compress sends them as they are", async () => {
        const cli = await start([routes, "--static", "test/fixtures/static", "--static-max-age", "3600", "--no-compress", "--port", "0", "--host", "127.0.0.1", "--quiet"]);
        const response = await fetch(`${cli.url}/app.js`, { headers: { "accept-encoding": "br, gzip" } });
        assert.equal(response.headers.get("cache-control"), "public, max-age=3600");
        assert.equal(response.headers.get("content-encoding"), null);
    });

    it("--https makes a certificate for localhost once, keeps it in the cache folder, and serves HTTPS with it", async () => {
        const cache = await mkdtemp(path.join(tmpdir(), "vshs-cli-cache-"));
        const first = await start([routes, "--https", "--port", "0", "--host", "127.0.0.1", "--quiet"], { env: { XDG_CACHE_HOME: cache } });
        assert.match(first.url, /^https:\/\/127\.0\.0\.1:\d+$/);
        const certFile = path.join(cache, "vshs", "localhost-cert.pem");
        assert.match(first.stdout(), new RegExp(`https: made a self-signed certificate for localhost: ${certFile.replace(/[.\\/]/g, "\\$&")}`));
        const ca = readFileSync(certFile, "utf8");
        const body = await new Promise<string>((resolve, reject) => {
            https.get(`${first.url}/hello`, { ca, servername: "localhost" }, (res) => {
                let text = "";
                res.on("data", (chunk) => (text += chunk)).on("end", () => resolve(text));
            }).on("error", reject);
        });
        assert.equal(body, "hello");
        const second = await start([routes, "--https", "--port", "0", "--host", "127.0.0.1", "--quiet"], { env: { XDG_CACHE_HOME: cache } });
        assert.match(second.stdout(), /https: using the self-signed certificate for localhost/);
        assert.equal(readFileSync(certFile, "utf8"), ca, "the same certificate");
    });

    it("honours $PORT and $HOST", async () => {
        const cli = await start([routes], { env: { PORT: "0", HOST: "127.0.0.1" } });
        assert.match(cli.url, /^http:\/\/127\.0\.0\.1:\d+$/);
        assert.notEqual(cli.url, "http://127.0.0.1:0");
    });

    it("serves ./routes by default", async () => {
        const cli = await start(["--port", "0"], { cwd: path.join(repoRoot, "examples") });
        assert.equal((await fetch(`${cli.url}/hello-world`)).status, 200);
    });

    it("logs one line per request: time, method, path, status, duration", async () => {
        const cli = await start([routes, "--port", "0"]);
        await (await fetch(`${cli.url}/hello?secret=1`)).text();
        await (await fetch(`${cli.url}/missing`)).text();
        await cli.waitForOutput(/GET \/missing 404/);
        const lines = cli.stdout().split("\n").filter((line) => /^\d{4}-/.test(line));
        assert.equal(lines.length, 2);
        assert.match(lines[0]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z GET \/hello 200 \d+\.\d ms$/);
        assert.match(lines[1]!, /^\S+ GET \/missing 404 \d+\.\d ms$/);
    });

    it("logs nothing per request with --quiet", async () => {
        const cli = await start([routes, "--port", "0", "--quiet"]);
        await (await fetch(`${cli.url}/hello`)).text();
        await sleep(100);
        assert.doesNotMatch(cli.stdout(), /GET \/hello 200/);
    });
});

describe("vshs --watch", () => {
    it("reloads an edited route file without a restart", async () => {
        const project = await mkdtemp(path.join(tmpdir(), "vshs-cli-watch-"));
        await mkdir(path.join(project, "routes/hello"), { recursive: true });
        await writeFile(path.join(project, "routes/hello/GET.js"), 'export default () => "before";\n');
        const cli = await start(["--watch", "--port", "0", "--quiet"], { cwd: project });
        assert.match(cli.stdout(), /watching route files for changes/);
        assert.equal(await (await fetch(`${cli.url}/hello`)).text(), "before");
        await writeFile(path.join(project, "routes/hello/GET.js"), 'export default () => "after";\n');
        await cli.waitForOutput(/Routes reloaded: 1 routes in \d+ ms/);
        assert.equal(await (await fetch(`${cli.url}/hello`)).text(), "after");
        assert.equal(cli.child.exitCode, null, "still the same process");
    });
});

describe("vshs event-stream flags", () => {
    it("--heartbeat sets the quiet time before a comment line", async () => {
        const cli = await start([path.join(fixturesDir, "channels"), "--port", "0", "--quiet", "--heartbeat", "100", "--channel-history", "3"]);
        const controller = new AbortController();
        const response = await fetch(`${cli.url}/feed`, { signal: controller.signal });
        const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
        let text = "";
        while (!text.includes(":\n\n")) text += (await reader.read()).value;
        controller.abort();
        assert.match(text, /^:ok\n\nevent: worker\ndata: \d+\n\n:\n\n/);
    });
});

describe("vshs stopping", () => {
    it("on SIGTERM, finishes a slow request, closes event streams, exits 0", async () => {
        const cli = await start([routes, "--port", "0"]);
        const stream = http.get(`${cli.url}/events`);
        await new Promise((resolve) => stream.on("response", resolve));
        const slow = fetch(`${cli.url}/slow?ms=700`).then((response) => response.text());
        await sleep(100);
        cli.signal("SIGTERM");
        assert.equal(await slow, "slept 700 ms");
        assert.equal(await cli.exited, 0);
        assert.match(cli.stdout(), /stream closed: onConnectionClosed ran/);
        assert.match(cli.stderr(), /SIGTERM: finishing the requests in flight/);
    });

    it("on a second signal, exits at once", async () => {
        const cli = await start([routes, "--port", "0"]);
        const slow = fetch(`${cli.url}/slow?ms=5000`).catch(() => "cut");
        await sleep(100);
        const started = Date.now();
        cli.signal("SIGINT");
        await sleep(100);
        cli.signal("SIGINT");
        assert.equal(await cli.exited, 130);
        assert.ok(Date.now() - started < 2000);
        assert.equal(await slow, "cut");
    });

    it("closes requests still running after --shutdown-timeout", async () => {
        const cli = await start([routes, "--port", "0", "--shutdown-timeout", "300"]);
        // Deno's server cannot drop a connection before answering it: there the request gets a 503.
        const slow = fetch(`${cli.url}/slow?ms=5000`).then((response) => (response.status === 503 && runtime === "deno" ? "cut" : "finished"), () => "cut");
        await sleep(100);
        const started = Date.now();
        cli.signal("SIGTERM");
        assert.equal(await cli.exited, 0);
        assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
        assert.equal(await slow, "cut");
    });
});

describe("vshs --workers", () => {
    /** Distinct pids answering /pid over fresh connections. */
    async function pids(url: string, tries = 40): Promise<Set<number>> {
        const seen = new Set<number>();
        for (let i = 0; i < tries && seen.size < 2; i++) {
            const response = await fetch(`${url}/pid`, { headers: { connection: "close" } });
            seen.add(((await response.json()) as { pid: number }).pid);
        }
        return seen;
    }

    it("serves from two processes, replaces a killed worker, and stops them all on SIGTERM", async () => {
        const cli = await start([routes, "--port", "0", "--workers", "2", "--quiet"]);
        assert.match(cli.stdout(), /2 worker processes/);
        const first = await pids(cli.url);
        assert.equal(first.size, 2, `pids: ${[...first]}`);
        const [victim] = first;
        process.kill(victim!, "SIGKILL");
        await cli.waitForOutput(new RegExp(`worker ${victim} died \\(SIGKILL\\); starting a new one`));
        let replaced = new Set<number>();
        for (let attempt = 0; attempt < 50 && (replaced.size < 2 || replaced.has(victim!)); attempt++) {
            await sleep(100);
            replaced = await pids(cli.url).catch(() => new Set<number>());
        }
        assert.equal(replaced.size, 2);
        assert.ok(!replaced.has(victim!), "the killed worker is gone");
        cli.signal("SIGTERM");
        assert.equal(await cli.exited, 0);
        for (const pid of replaced) assert.throws(() => process.kill(pid, 0), /ESRCH/, `worker ${pid} still running`);
    });

    it("--workers auto starts one per core", async () => {
        const cli = await start([routes, "--port", "0", "--workers", "auto", "--quiet"]);
        await cli.waitForOutput(/static: /);
        const cores = availableParallelism();
        if (cores > 1) assert.match(cli.stdout(), new RegExp(`  ${cores} worker processes`));
        cli.signal("SIGTERM");
        assert.equal(await cli.exited, 0);
    });

    it("reports a start-up error once, in one line, exit code 1", () =>
        assertMistake([path.join(fixturesDir, "broken-routes"), "--workers", "2", "--port", "0"], /^vshs: .*bad[\\/]GET\.ts: the default export must be a function, not a number$/));

    it("on Deno without --unstable-net, names the flag it needs", { skip: runtime !== "deno" && "Deno only" }, async () => {
        const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
            const child = spawn(process.execPath, ["run", "-A", cliPath, routes, "--workers", "2", "--port", "0"], { timeout: 20_000 });
            let stderr = "";
            child.stderr.on("data", (chunk) => (stderr += chunk));
            child.on("close", (code) => resolve({ code, stderr }));
        });
        assert.equal(code, 1);
        assert.match(stderr, /^vshs: --workers on Deno needs Deno's --unstable-net flag/m);
    });
});
