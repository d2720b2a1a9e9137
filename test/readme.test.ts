// Every `curl` example in README.md that is followed by an "Output:" block is run against the example
// server, and its output must be what the README shows.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";

process.env["VSHS_DEMO_MESSAGES"] = path.join(await mkdtemp(path.join(tmpdir(), "vshs-readme-")), "messages.txt");
const { repoRoot, serveExamples } = await import("./helpers/server.ts");
const { runCli, startCli } = await import("./helpers/cli.ts");
const { runtime } = await import("./helpers/runtime.ts");
const server = await serveExamples();
const run = promisify(execFile);

const readme = await readFile(path.join(repoRoot, "README.md"), "utf8");
const examples = [...readme.matchAll(/```sh\n(curl [^\n]+)\n```\n\nOutput( \(the words after the colon[^)]*\))?:\n\n```\n([\s\S]*?)```/g)].map(([, command, enginesWords, output]) => ({
    command: command!,
    output: output!,
    enginesWords: enginesWords !== undefined,
}));

describe("the README's examples", () => {
    it("has examples to check", () => {
        assert.ok(examples.length >= 15, `found ${examples.length}`);
    });

    it("shows the real --help text", async () => {
        const shown = /```\n\$ npx vshs --help\n([\s\S]*?)```/.exec(readme)?.[1];
        assert.equal(shown, (await runCli(["--help"])).stdout);
    });

    it("shows the real start-up table of the examples", async () => {
        const shown = /```\n\$ npx vshs --static assets\n([\s\S]*?)\n\d{4}-/.exec(readme)?.[1];
        assert.ok(shown);
        const cli = await startCli(["--static", "assets", "--port", "0", "--quiet"], { cwd: path.join(repoRoot, "examples") });
        try {
            await cli.waitForOutput(/static: /);
            assert.equal(cli.stdout().trimEnd().replace(/localhost:\d+/, "localhost:8080"), shown);
        } finally {
            cli.child.kill("SIGKILL");
        }
    });

    for (const { command, output, enginesWords } of examples) {
        it(command, async () => {
            const local = command.replaceAll("http://localhost:8080", server.url);
            const { stdout } = await run("sh", ["-c", `${local} --silent || test $? -eq 28`]); // 28: --max-time reached
            if (enginesWords) {
                const ours = output.slice(0, output.indexOf(": ") + 2);
                assert.ok(stdout.startsWith(ours) && stdout.trim().length > ours.length, `${stdout} should start with ${ours} and go on`);
                if (runtime === "node" && process.versions.node.startsWith("20.")) assert.equal(stdout.trimEnd(), output.trimEnd());
            } else {
                assert.equal(stdout.trimEnd(), output.trimEnd());
            }
        });
    }
});
