// The package as a user gets it: `npm pack`, installed into an empty folder, then `npx vshs`, `bunx --bun vshs`,
// `deno run -A npm:vshs`, a script calling startHTTPServer on each runtime, and `vshs init`. (Run on Node
// only: the Deno and Bun commands are started from here, with the binaries of their npm packages.)
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { promisify } from "node:util";
import { runtime } from "./helpers/runtime.ts";
import { repoRoot } from "./helpers/server.ts";

const run = promisify(execFile);
// Commands run here as a user would run them, not as children of this test run; `deno` and `bun` are
// found where `npm run runtimes` (CI, test:deno, test:bun) fetched them: without them, their cases are skipped.
const { NODE_TEST_CONTEXT: _, ...userEnv } = process.env;
const runtimesBin = path.join(repoRoot, "runtimes/node_modules/.bin");
userEnv["PATH"] = `${runtimesBin}${path.delimiter}${userEnv["PATH"] ?? ""}`;
const otherRuntimes = existsSync(path.join(runtimesBin, "deno")) && existsSync(path.join(runtimesBin, "bun"));
const needsOtherRuntimes = (runtimeName: string) => runtimeName !== "node" && !otherRuntimes && "Deno and Bun are not fetched: npm run runtimes (CI does)";
const folder = await mkdtemp(path.join(tmpdir(), "vshs-package-"));
const children: import("node:child_process").ChildProcess[] = [];
// npm and npx start the server as a grandchild: each command runs in its own process group, killed whole.
after(() => {
    for (const child of children) {
        try {
            process.kill(-child.pid!, "SIGKILL");
        } catch {
            // that group has already ended
        }
    }
});

// dist/ was built by `npm test`'s pretest step; packing it as is keeps this test quick.
const { stdout: packed } = await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", folder], { cwd: repoRoot });
const [{ filename, files }] = JSON.parse(packed) as [{ filename: string; files: { path: string }[] }];
const tarball = path.join(folder, filename);
const project = path.join(folder, "app");
await mkdir(project);
await writeFile(path.join(project, "package.json"), JSON.stringify({ name: "app", private: true }));
await run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", tarball], { cwd: project });

/** Starts a command in the project and resolves with the URL its banner prints. */
function serveIn(cwd: string, command: string, args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
        const child = spawn(command, args, { cwd, env: { ...userEnv, PORT: "0", HOST: "127.0.0.1" }, detached: true });
        children.push(child);
        let output = "";
        const onData = (chunk: Buffer) => {
            output += chunk;
            const found = /serving (http:\/\/\S+)/.exec(output);
            if (found) resolve(found[1]!);
        };
        child.stdout.on("data", onData);
        child.stderr.on("data", onData);
        child.on("exit", (code) => reject(new Error(`${command} ${args.join(" ")} exited (${code}):\n${output}`)));
    });
}

const runtimeRoute = 'export default () => ("Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node");\n';
// No top-level await: the project's package.json does not say "type": "module", so tsx reads it as CommonJS.
const startScript = 'import { startHTTPServer } from "vshs";\nstartHTTPServer({ port: 0, hostname: "127.0.0.1" }).then((server) => console.log(`serving ${server.url}`));\n';

describe("the npm package", { skip: runtime !== "node" && "the Node run starts every runtime's commands" }, () => {
    it("holds compiled JavaScript and types, no TypeScript source or tests", () => {
        const paths = files.map((file) => file.path);
        for (const expected of ["dist/index.js", "dist/index.d.ts", "dist/cli/main.js", "dist/testing/index.js", "dist/testing/index.d.ts", "package.json", "README.md", "LICENSE", "docs/routes.md"]) {
            assert.ok(paths.includes(expected), expected);
        }
        assert.deepEqual(paths.filter((file) => /(^src\/|^test\/|(?<!\.d)\.ts$|\.map$)/.test(file)), []);
    });

    it("installs into an empty folder, and `npx vshs` serves routes/ from there", async () => {
        await mkdir(path.join(project, "routes/hello"), { recursive: true });
        await writeFile(
            path.join(project, "routes/hello/GET.ts"),
            'import { getQuery, type HandlerParams } from "vshs";\nexport default ({ url }: HandlerParams) => ({ hello: getQuery(url).name ?? "world" });\n',
        );
        const url = await serveIn(project, "npx", ["vshs"]);
        assert.deepEqual(await (await fetch(`${url}/hello?name=npm`)).json(), { hello: "npm" });
    });

    for (const [command, args, runtimeName] of [
        ["bunx", ["--bun", "vshs"], "bun"],
        ["deno", ["run", "-A", "npm:vshs"], "deno"],
    ] as const) {
        it(`\`${command} ${args.join(" ")}\` serves routes/ on ${runtimeName === "bun" ? "Bun" : "Deno"}'s own server`, { skip: needsOtherRuntimes(runtimeName) }, async () => {
            await mkdir(path.join(project, "routes/runtime"), { recursive: true });
            await writeFile(path.join(project, "routes/runtime/GET.ts"), runtimeRoute);
            const url = await serveIn(project, command, [...args]);
            assert.equal(await (await fetch(`${url}/runtime`)).text(), runtimeName);
            assert.deepEqual(await (await fetch(`${url}/hello?name=${runtimeName}`)).json(), { hello: runtimeName });
        });
    }

    for (const [runtimeName, command, args] of [
        ["node", "npx", ["tsx", "server.ts"]],
        ["deno", "deno", ["run", "-A", "server.ts"]],
        ["bun", "bun", ["server.ts"]],
    ] as const) {
        it(`starts from a script calling startHTTPServer on ${runtimeName}: ${command} ${args.join(" ")}`, { skip: needsOtherRuntimes(runtimeName) }, async () => {
            await writeFile(path.join(project, "server.ts"), startScript);
            await mkdir(path.join(project, "routes/runtime"), { recursive: true });
            await writeFile(path.join(project, "routes/runtime/GET.ts"), runtimeRoute);
            const url = await serveIn(project, command, [...args]);
            assert.equal(await (await fetch(`${url}/runtime`)).text(), runtimeName);
        });
    }

    it("gives an editor the types of the public API", async () => {
        await writeFile(path.join(project, "tsconfig.json"), JSON.stringify({ compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, allowImportingTsExtensions: true, skipLibCheck: false, types: [] }, include: ["routes", "check.ts"] }));
        const tsc = path.join(repoRoot, "node_modules/.bin/tsc");
        await writeFile(path.join(project, "check.ts"), 'import startHTTPServer, { HTTPError, SSEResponse, rootDir, type Handler, type HandlerParams, type Route } from "vshs";\nimport { testServer } from "vshs/testing";\nconst route: Route = { path: "/x/GET", vars: {} };\nconst handler: Handler = ({ url }: HandlerParams) => url.pathname;\nvoid [startHTTPServer, HTTPError, SSEResponse, rootDir, testServer, route, handler];\n');
        await run(tsc, ["-p", project]);
        await writeFile(path.join(project, "check.ts"), 'import type { HandlerParams } from "vshs";\nexport const wrong = ({ route }: HandlerParams): number => route.path;\n');
        await assert.rejects(run(tsc, ["-p", project]), (error: { stdout: string }) => /check\.ts.*TS2322: Type 'string' is not assignable to type 'number'/.test(error.stdout));
    });

    it("`vshs init` scaffolds a project that starts, and whose own test passes", async () => {
        const { stdout } = await run("npx", ["vshs", "init", "starter"], { cwd: project });
        assert.match(stdout, /Created a vshs project in .*starter/);
        const starter = path.join(project, "starter");
        assert.deepEqual((await readdir(starter)).sort(), ["README.md", "package.json", "public", "routes", "test", "tsconfig.json"]);
        const pkg = JSON.parse(await readFile(path.join(starter, "package.json"), "utf8"));
        assert.deepEqual(Object.keys(pkg.scripts), ["start", "dev", "test", "start:deno", "test:deno", "start:bun", "test:bun"]);
        assert.match(await readFile(path.join(starter, "README.md"), "utf8"), /npm start/);
        const url = await serveIn(starter, "npm", ["start"]);
        assert.deepEqual(await (await fetch(`${url}/hello?name=Ada`)).json(), { message: "Hello Ada" });
        assert.match(await (await fetch(`${url}/`)).text(), /new EventSource\("\/clock"\)/);
        const { stdout: testOutput } = await run("npm", ["test"], { cwd: starter, env: userEnv });
        assert.match(testOutput, /# pass 2/);
        assert.match(testOutput, /# fail 0/);
    });

    for (const runtimeName of ["deno", "bun"] as const) {
        it(`\`vshs init\`'s project starts and passes its test on ${runtimeName === "deno" ? "Deno" : "Bun"} with the scripts it ships`, { skip: needsOtherRuntimes(runtimeName) }, async () => {
            const starter = path.join(project, "starter");
            await mkdir(path.join(starter, "routes/runtime"), { recursive: true });
            await writeFile(path.join(starter, "routes/runtime/GET.ts"), runtimeRoute);
            const url = await serveIn(starter, "npm", ["run", `start:${runtimeName}`]);
            assert.equal(await (await fetch(`${url}/runtime`)).text(), runtimeName);
            assert.match(await (await fetch(`${url}/`)).text(), /new EventSource\("\/clock"\)/, "the static folder too");
            const { stdout, stderr } = await run("npm", ["run", `test:${runtimeName}`], { cwd: starter, env: userEnv });
            const output = (stdout + stderr).replace(/\x1b\[[0-9;]*m/g, ""); // without Deno's colours
            assert.match(output, runtimeName === "deno" ? /ok \| 2 passed \| 0 failed/ : / 2 pass\n\s*0 fail/);
        });
    }

    it("runs the README's main.ts in `vshs init`'s project as shown (on a free port)", async () => {
        const readme = await readFile(path.join(repoRoot, "README.md"), "utf8");
        const snippet = /```ts\n(\/\/ main\.ts[\s\S]*?)```/.exec(readme)?.[1];
        assert.ok(snippet, "the README shows a main.ts");
        const starter = path.join(project, "starter");
        await writeFile(path.join(starter, "main.ts"), snippet.replace("port: 8080", "port: 0").replace('hostname: "localhost"', 'hostname: "127.0.0.1"'));
        const url = await serveIn(starter, "npx", ["tsx", "main.ts"]);
        assert.deepEqual(await (await fetch(`${url}/hello?name=Ada`)).json(), { message: "Hello Ada" });
        assert.match(await (await fetch(`${url}/`)).text(), /new EventSource/, "public/ is its static folder");
    });

    it("`vshs init` leaves existing files alone", async () => {
        const { stdout } = await run("npx", ["vshs", "init", "starter"], { cwd: project });
        assert.match(stdout, /Left as they were:\n {2}routes\/hello\/GET\.ts/);
    });
});
