/**
 * What the end-to-end tests share: Debian's Chromium, driven headless by playwright-core with no
 * download and no network, and the examples server in a child process that a test can stop and start
 * again on the same port (as a user restarting it would).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after } from "node:test";
import { chromium, type Browser, type Page } from "playwright-core";
import { repoRoot } from "../helpers/server.ts";

const chromiumPaths = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"];
export const chromiumPath = chromiumPaths.find((candidate) => candidate !== undefined && existsSync(candidate));

export const screenshotsDir = path.join(repoRoot, "docs/screenshots");

/** Chromium, closed when the test file ends. */
export async function launchBrowser(): Promise<Browser> {
    if (chromiumPath === undefined) throw new Error("Chromium not found: install Debian's chromium package (`.ci/run` does) or set CHROMIUM_PATH");
    const browser = await chromium.launch({
        executablePath: chromiumPath,
        // Running as root in a container: no sandbox; and nothing that would reach out to the network.
        args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-default-apps"],
    });
    after(() => browser.close());
    return browser;
}

export async function screenshot(page: Page, name: string): Promise<string> {
    await mkdir(screenshotsDir, { recursive: true });
    const file = path.join(screenshotsDir, `${name}.png`);
    await page.screenshot({ path: file });
    return file;
}

/** A port free now, to start (and restart) the examples server on. */
export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const probe = createServer().listen(0, "127.0.0.1", () => {
            const { port } = probe.address() as { port: number };
            probe.close(() => resolve(port));
        });
        probe.on("error", reject);
    });
}

/**
 * `npm start`'s server (examples/main.ts) in a child process, with its message files in a temporary
 * folder. It signs logins with a $VSHS_SECRET of its own, so that they outlast a restart, as a
 * deployment's would; `env` adds variables, or removes them when undefined (`VSHS_SECRET: undefined`:
 * a random secret each start, as `npm start` makes without one).
 */
export class ExamplesServer {
    readonly port: number;
    readonly #env: Record<string, string | undefined>;
    #child: ChildProcess | undefined;

    private constructor(port: number, env: Record<string, string | undefined>) {
        this.port = port;
        this.#env = env;
    }

    static async start(env: Record<string, string | undefined> = {}): Promise<ExamplesServer> {
        const folder = await mkdtemp(path.join(tmpdir(), "vshs-e2e-"));
        const port = await freePort();
        const server = new ExamplesServer(port, {
            HOST: "127.0.0.1",
            PORT: String(port),
            VSHS_DEMO_MESSAGES: path.join(folder, "demo.txt"),
            CHAT_FILE: path.join(folder, "chat.jsonl"),
            VSHS_SECRET: randomBytes(32).toString("base64url"),
            ...env,
        });
        await server.restart();
        after(() => server.stop());
        return server;
    }

    get url(): string {
        return `http://127.0.0.1:${this.port}`;
    }

    /** Starts the server (again); resolves once it listens. */
    async restart(): Promise<void> {
        await this.stop();
        const env: Record<string, string | undefined> = { ...process.env, ...this.#env };
        for (const [name, value] of Object.entries(env)) if (value === undefined) delete env[name];
        const child = (this.#child = spawn(process.execPath, ["--import", "tsx", path.join(repoRoot, "examples/main.ts")], { cwd: repoRoot, env, stdio: ["ignore", "pipe", "inherit"] }));
        await new Promise<void>((resolve, reject) => {
            let output = "";
            child.stdout!.on("data", (chunk: Buffer) => {
                output += chunk;
                if (output.includes("listening on")) resolve();
            });
            child.once("exit", (code) => reject(new Error(`the examples server exited (${code}): ${output}`)));
        });
    }

    /** Stops it as Ctrl-C would (open streams are told to come back); resolves once it has exited. */
    async stop(): Promise<void> {
        const child = this.#child;
        this.#child = undefined;
        if (child === undefined || child.exitCode !== null) return;
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
    }
}

/** Logs in to the chat from outside a browser (as curl would): the `Cookie` header to send back. */
export async function chatLogin(server: ExamplesServer, name: string): Promise<string> {
    const response = await fetch(`${server.url}/chat/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name }) });
    if (response.status !== 200) throw new Error(`login as ${name}: ${response.status} ${await response.text()}`);
    const [line = ""] = response.headers.getSetCookie();
    return line.slice(0, line.indexOf(";"));
}
