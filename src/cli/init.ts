import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

/** The starter project `vshs init` writes: file → content. */
function starterFiles(name: string): Record<string, string> {
    return {
        "routes/hello/GET.ts": `import { getQuery, type HandlerParams } from "vshs";

/** GET /hello?name=Ada → { "message": "Hello Ada" } */
export default async function ({ url }: HandlerParams) {
    const { name = "world" } = getQuery(url);
    return { message: \`Hello \${name}\` };
}
`,
        "routes/clock/GET.ts": `import { SSEResponse } from "vshs";

/** GET /clock → an event named "tick" with the time, every second. */
export default async function () {
    return new SSEResponse((self) => {
        const tick = () => self.send({ time: new Date().toISOString() }, "tick");
        void tick();
        const timer = setInterval(tick, 1000);
        self.onConnectionClosed = () => clearInterval(timer);
    });
}
`,
        "public/index.html": `<!doctype html>
<html lang="en">
<head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>${escapeHTML(name)}</title>
</head>
<body>
    <h1>${escapeHTML(name)}</h1>
    <p id="hello">…</p>
    <p>Server time: <span id="time">…</span></p>
    <script>
        fetch("/hello?name=browser").then((response) => response.json()).then(({ message }) => (hello.textContent = message));
        new EventSource("/clock").addEventListener("tick", (event) => (time.textContent = JSON.parse(event.data).time));
    </script>
</body>
</html>
`,
        "test/routes.test.mjs": `import assert from "node:assert/strict";
import { after, test } from "node:test";
import { testServer } from "vshs/testing";

const server = await testServer("routes");
after(() => server.close());

test("GET /hello greets by name", async () => {
    const response = await server.fetch("/hello?name=Ada");
    assert.deepEqual(await response.json(), { message: "Hello Ada" });
});

test("GET /clock sends ticks", async () => {
    for await (const event of server.events("/clock")) {
        assert.equal(event.event, "tick");
        assert.ok(JSON.parse(event.data).time);
        break; // leaving the loop closes the stream, as a client going away would
    }
});
`,
        "tsconfig.json": `{
    "compilerOptions": {
        "target": "ES2022",
        "module": "NodeNext",
        "moduleResolution": "NodeNext",
        "strict": true,
        "noEmit": true,
        "allowImportingTsExtensions": true,
        "skipLibCheck": true
    },
    "include": ["routes"]
}
`,
        "README.md": `# ${name}

An API served by vshs from the \`routes/\` folder.

    npm start          # http://localhost:8080 — try /hello?name=you and /clock
    npm run dev        # the same, reloading route files as you edit them
    npm test           # test/routes.test.mjs against a real server

The same on Deno or Bun (installed on their own), each on its own server:

    npm run start:deno     npm run test:deno
    npm run start:bun      npm run test:bun

Each \`routes/<path>/<METHOD>.ts\` file answers that method at that path; \`public/\` holds the static files.
`,
    };
}

/**
 * The same project on each runtime. Deno finds `npm:vshs` in node_modules once `npm install` has run;
 * its type check is skipped (`--no-check`) as tsx and Bun skip theirs: `tsc` checks, in an editor.
 */
const scripts = {
    start: "vshs routes --static public",
    dev: "vshs routes --static public --watch",
    test: "node --test",
    "start:deno": "deno run -A npm:vshs routes --static public",
    "test:deno": "deno test -A --no-check",
    "start:bun": "bunx --bun vshs routes --static public",
    "test:bun": "bun test",
};

/**
 * Writes the starter project into `dir` without overwriting anything; an existing package.json gains
 * the scripts it lacks, `"type": "module"`, and vshs as a dependency. Returns what to print.
 */
export async function scaffold(dir: string, version: string): Promise<string> {
    const name = path.basename(dir);
    const written: string[] = [];
    const kept: string[] = [];
    for (const [file, content] of Object.entries(starterFiles(name))) {
        const target = path.join(dir, file);
        if (existsSync(target)) {
            kept.push(file);
            continue;
        }
        await mkdir(path.dirname(target), { recursive: true });
        await writeFile(target, content);
        written.push(file);
    }
    written.push(await writePackageJSON(dir, name, version));
    const lines = [`Created a vshs project in ${dir}:`, ...written.map((file) => `  ${file}`)];
    if (kept.length > 0) lines.push("Left as they were:", ...kept.map((file) => `  ${file}`));
    lines.push("", "Next:", ...(path.resolve(dir) === process.cwd() ? [] : [`  cd ${path.relative(process.cwd(), dir) || "."}`]), "  npm start");
    return lines.join("\n");
}

async function writePackageJSON(dir: string, name: string, version: string): Promise<string> {
    const file = path.join(dir, "package.json");
    const existing = existsSync(file) ? JSON.parse(await readFile(file, "utf8")) : undefined;
    const pkg = existing ?? { name: name.toLowerCase().replace(/[^a-z0-9-._~]/g, "-"), private: true };
    pkg.type ??= "module";
    const ownScripts = { ...pkg.scripts };
    if (/no test specified/.test(ownScripts.test ?? "")) delete ownScripts.test; // npm init's placeholder
    pkg.scripts = { ...scripts, ...ownScripts };
    pkg.dependencies = { vshs: `^${version}`, ...pkg.dependencies };
    await writeFile(file, JSON.stringify(pkg, null, 2) + "\n");
    return existing ? "package.json (scripts added)" : "package.json";
}

function escapeHTML(text: string): string {
    return text.replace(/[&<>"]/g, (char) => `&#${char.charCodeAt(0)};`);
}
