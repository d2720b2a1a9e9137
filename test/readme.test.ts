// What README.md and the pages of docs/ show must be what vshs does. Every `curl` example followed by an
// "Output:" block is run against the example server, one describe block per page; the --help text, the
// start-up table, the one-line mistakes of the vshs command and the test `vshs init` writes are checked
// wherever a page shows them; and every relative link between the pages must lead to a file, and a
// heading, that exist.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";

process.env["VSHS_DEMO_MESSAGES"] = path.join(await mkdtemp(path.join(tmpdir(), "vshs-readme-")), "messages.txt");
const { repoRoot, serveExamples } = await import("./helpers/server.ts");
const { runCli, startCli } = await import("./helpers/cli.ts");
const { runtime } = await import("./helpers/runtime.ts");
const { startHTTPServer } = await import("vshs");
const server = await serveExamples();
const run = promisify(execFile);

interface Page {
    /** Relative to the repository: `README.md`, `docs/routes.md`. */
    name: string;
    text: string;
}

interface Example {
    command: string;
    output: string;
    /** The output's words after the colon are the JavaScript engine's own (see below). */
    enginesWords: boolean;
}

const docsDir = path.join(repoRoot, "docs");
const docNames = (await readdir(docsDir)).filter((name) => name.endsWith(".md")).sort();
const pages: Page[] = await Promise.all(
    ["README.md", ...docNames.map((name) => `docs/${name}`)].map(async (name) => ({ name, text: await readFile(path.join(repoRoot, name), "utf8") })),
);

const examplePattern = /```sh\n(curl [^\n]+)\n```\n\nOutput( \(the words after the colon[^)]*\))?:\n\n```\n([\s\S]*?)```/g;
const examplesOf = (text: string): Example[] =>
    [...text.matchAll(examplePattern)].map(([, command, enginesWords, output]) => ({ command: command!, output: output!, enginesWords: enginesWords !== undefined }));
/** Every paragraph that introduces an output ("Output:", "Output (…):"), parsed or not: each must be parsed. */
const outputLabels = (text: string) => [...prose(text).matchAll(/^Output\b[^\n]*(?:\n[^\n]+)*?:$/gm)].length;

/** The text of every fenced block of a page that starts with `$ <command>`, after that line. */
function shownOutputs(command: string): { page: string; shown: string }[] {
    const found: { page: string; shown: string }[] = [];
    for (const { name, text } of pages) {
        for (const [, line, shown] of text.matchAll(/```\n\$ ([^\n]+)\n([\s\S]*?)```/g)) if (line === command) found.push({ page: name, shown: shown! });
    }
    return found;
}

async function checkExample({ command, output, enginesWords }: Example) {
    const local = command.replaceAll("http://localhost:8080", server.url);
    const { stdout } = await run("sh", ["-c", `${local} --silent || test $? -eq 28`]); // 28: --max-time reached
    if (enginesWords) {
        const ours = output.slice(0, output.indexOf(": ") + 2);
        assert.ok(stdout.startsWith(ours) && stdout.trim().length > ours.length, `${stdout} should start with ${ours} and go on`);
        if (runtime === "node" && process.versions.node.startsWith("20.")) assert.equal(stdout.trimEnd(), output.trimEnd());
    } else {
        assert.equal(stdout.trimEnd(), output.trimEnd());
    }
}

for (const { name, text } of pages) {
    const examples = examplesOf(text);
    describe(name, () => {
        it("has every output it shows parsed as an example to run", () => {
            assert.equal(examples.length, outputLabels(text), "an \"Output:\" block the test cannot read: keep the ```sh curl …``` / Output: / ``` … ``` layout");
        });
        for (const example of examples) it(example.command, () => checkExample(example));
    });
}

describe("the commands the docs show", () => {
    it("has examples to check", () => {
        const counts = pages.map(({ name, text }) => `${name}: ${examplesOf(text).length}`);
        const total = pages.reduce((sum, { text }) => sum + examplesOf(text).length, 0);
        assert.ok(total >= 15, `found ${total} (${counts.join(", ")})`);
        assert.ok(examplesOf(pages[0]!.text).length >= 5, `the README shows ${examplesOf(pages[0]!.text).length}`);
    });

    it("shows the real --help text", async () => {
        const shown = shownOutputs("npx vshs --help");
        assert.ok(shown.length > 0, "no page shows `$ npx vshs --help`");
        const real = (await runCli(["--help"])).stdout;
        for (const { page, shown: text } of shown) assert.equal(text, real, page);
    });

    it("shows the real start-up table of the examples", async () => {
        const shown = shownOutputs("npx vshs --static assets");
        assert.ok(shown.length > 0, "no page shows `$ npx vshs --static assets`");
        const cli = await startCli(["--static", "assets", "--port", "0", "--quiet"], { cwd: path.join(repoRoot, "examples") });
        try {
            await cli.waitForOutput(/static: /);
            // The page shows a run on Node; this test also runs on Deno and Bun, whose banner names them.
            const real = cli.stdout().trimEnd().replace(/localhost:\d+/, "localhost:8080").replace(/ on (Node|Deno|Bun) [\w.-]+\n/, " on Node 20.20.2\n");
            for (const { page, shown: text } of shown) {
                const table = /^([\s\S]*?)\n\d{4}-/.exec(text)?.[1]; // up to the first access-log line
                assert.equal(table, real, page);
            }
        } finally {
            cli.child.kill("SIGKILL");
        }
    });

    it("shows the real one-line mistakes of the vshs command", async () => {
        const shown = pages.flatMap(({ name, text }) =>
            [...text.matchAll(/A mistake is one line and exit code 1:((?:\n?[^\n]+)+)/g)].flatMap(([, paragraph]) => [...paragraph!.matchAll(/`(vshs: [^`]+)`/g)].map(([, message]) => ({ page: name, message: message! }))),
        );
        assert.ok(shown.length >= 3, `found ${shown.length}`);
        const emptyFolder = await mkdtemp(path.join(tmpdir(), "vshs-readme-empty-"));
        const examples = path.join(repoRoot, "examples");
        for (const { page, message } of shown) {
            let expected = message;
            let result;
            if (/^vshs: unknown option (\S+) /.test(message)) {
                result = await runCli([/^vshs: unknown option (\S+) /.exec(message)![1]!], { cwd: examples });
            } else if (/^vshs: no routes folder at routes /.test(message)) {
                result = await runCli([], { cwd: emptyFolder });
            } else if (/^vshs: --port must be a whole number from 0 to 65535, not "([^"]*)"$/.test(message)) {
                result = await runCli(["--port", /not "([^"]*)"$/.exec(message)![1]!], { cwd: examples });
            } else if (/^vshs: Port \d+ is already in use on localhost \(--port or \$PORT\)$/.test(message)) {
                const taken = await startHTTPServer({ hostname: "localhost", port: 0, routes: {} });
                try {
                    expected = message.replace(/Port \d+/, `Port ${taken.port}`);
                    result = await runCli(["--host", "localhost", "--port", String(taken.port)], { cwd: examples });
                } finally {
                    await taken.close();
                }
            } else {
                assert.fail(`${page} shows a mistake this test cannot produce yet: ${message}`);
            }
            assert.equal(result.code, 1, `${page}: ${message}`);
            assert.equal(result.stderr.trimEnd(), expected, page);
        }
    });

    it("shows the test `vshs init` writes", async () => {
        const shown = pages.flatMap(({ name, text }) => [...text.matchAll(/the test `vshs init` writes[^\n]*\n(?:[^\n]+\n)*?\n```js\n([\s\S]*?)```/g)].map(([, code]) => ({ page: name, code: code! })));
        assert.ok(shown.length > 0, "no page shows the test `vshs init` writes");
        const folder = await mkdtemp(path.join(tmpdir(), "vshs-readme-init-"));
        const { code } = await runCli(["init", folder]);
        assert.equal(code, 0);
        const written = await readFile(path.join(folder, "test/routes.test.mjs"), "utf8");
        for (const { page, code: shownCode } of shown) assert.equal(shownCode, written, page);
    });
});

/** GitHub's anchor for a heading: its text without markup, lower-case, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
    return heading
        .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
        .replace(/[`*]/g, "")
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, "")
        .replace(/\s/g, "-");
}

/** The text outside fenced code blocks. */
function prose(text: string): string {
    return text.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, "");
}

function anchorsOf(text: string): Set<string> {
    const anchors = new Set<string>();
    const seen = new Map<string, number>();
    for (const [, heading] of prose(text).matchAll(/^#{1,6} (.+)$/gm)) {
        const base = slug(heading!);
        const count = seen.get(base) ?? 0;
        seen.set(base, count + 1);
        anchors.add(count === 0 ? base : `${base}-${count}`);
    }
    return anchors;
}

describe("every link in the docs leads somewhere", () => {
    const anchorCache = new Map<string, Set<string>>();
    const anchorsOfFile = async (file: string) => {
        if (!anchorCache.has(file)) anchorCache.set(file, anchorsOf(await readFile(file, "utf8")));
        return anchorCache.get(file)!;
    };

    for (const { name, text } of pages) {
        it(name, async () => {
            const links = [...prose(text).replace(/`[^`\n]*`/g, "code").matchAll(/!?\[[^\]]*\]\(([^)\s]+)\)/g)].map(([, target]) => target!);
            const broken: string[] = [];
            for (const target of links) {
                if (/^[a-z]+:/i.test(target)) continue; // http:, https:, mailto:
                const [file, anchor] = target.split("#") as [string, string | undefined];
                const resolved = file === "" ? path.join(repoRoot, name) : path.resolve(path.dirname(path.join(repoRoot, name)), decodeURIComponent(file));
                if (!existsSync(resolved)) broken.push(`${target}: no such file`);
                else if (anchor !== undefined && resolved.endsWith(".md") && !(await anchorsOfFile(resolved)).has(anchor)) broken.push(`${target}: no such heading`);
            }
            assert.deepEqual(broken, []);
        });
    }

    it("every page of docs/ starts with its title, a one-line summary and a link back to the README", () => {
        for (const { name, text } of pages.slice(1)) {
            const [title, blank, summary] = text.split("\n");
            assert.match(title!, /^# \S/, name);
            assert.equal(blank, "", name);
            assert.ok(summary!.includes("[README](../README.md)"), `${name}: ${summary}`);
        }
    });

    it("the README links every page of docs/", () => {
        const linked = new Set([...pages[0]!.text.matchAll(/\]\((docs\/[^)#]+\.md)/g)].map(([, target]) => target));
        assert.deepEqual(docNames.map((name) => `docs/${name}`).filter((name) => !linked.has(name)), []);
    });
});

describe("docs/architecture.md", () => {
    it("lists every file of src/, and only those", async () => {
        const text = pages.find(({ name }) => name === "docs/architecture.md")!.text;
        const section = text.slice(text.indexOf("## Every file of src/"));
        const listed = [...section.matchAll(/^([a-z0-9-]+(?:\/[a-z0-9-]+)*\.ts)\s/gm)].map(([, file]) => file!).sort();
        const files = (await readdir(path.join(repoRoot, "src"), { recursive: true })).filter((file) => file.endsWith(".ts")).map((file) => file.split(path.sep).join("/")).sort();
        assert.deepEqual(listed, files);
    });
});
