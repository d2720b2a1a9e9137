import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";

// CI installs redis-server (.ci/run); elsewhere these tests need `apt-get install redis-server` or the like.
export const skipWithoutRedis = spawnSync("redis-server", ["--version"]).status !== 0 && "redis-server is not installed (apt-get install redis-server): the Redis transport is not tested";

export interface RedisServer {
    url: string;
    port: number;
    /** Freezes the server (SIGSTOP): connections stay open and nothing is answered. */
    pause(): void;
    resume(): void;
    /** Ends it, and resolves once it has exited. */
    stop(): Promise<void>;
    /** Starts it again, empty, on the same port. */
    restart(): Promise<void>;
}

export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = createServer().listen(0, "127.0.0.1", () => {
            const { port } = server.address() as { port: number };
            server.close(() => resolve(port));
        });
        server.on("error", reject);
    });
}

/** A redis-server of its own on a free port of localhost, keeping nothing on disk; resolves once it accepts connections. */
export async function startRedis(): Promise<RedisServer> {
    const port = await freePort();
    let child = await launch(port);
    return {
        url: `redis://127.0.0.1:${port}`,
        port,
        // process.kill: after child.kill(), Deno's ChildProcess ignores any later kill() of it.
        pause: () => process.kill(child.pid!, "SIGSTOP"),
        resume: () => process.kill(child.pid!, "SIGCONT"),
        stop: () => end(child),
        restart: async () => {
            await end(child);
            child = await launch(port);
        },
    };
}

function launch(port: number): Promise<ChildProcess> {
    const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`redis-server did not start within 10 s:\n${output}`)), 10_000);
        child.stdout!.on("data", (chunk) => {
            output += chunk;
            if (output.includes("Ready to accept connections")) (clearTimeout(timer), resolve(child));
        });
        child.stderr!.on("data", (chunk) => (output += chunk));
        child.on("exit", (code) => (clearTimeout(timer), reject(new Error(`redis-server exited (${code}):\n${output}`))));
    });
}

function end(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    try {
        process.kill(child.pid!, "SIGCONT");
    } catch {} // it has just ended
    child.kill("SIGKILL");
    return exited;
}

/** Resolves once `condition()` holds, polling; rejects after `ms` saying what was awaited. */
export async function until(what: string, condition: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await condition())) {
        if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
    }
}
