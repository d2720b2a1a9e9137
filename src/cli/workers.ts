import cluster, { type Worker } from "node:cluster";
import { createServer, type AddressInfo } from "node:net";
import { runtime } from "../runtime.ts";
import { relayChannels } from "../channels/cluster.ts";
import { relayRateLimits } from "../rate-limit/cluster.ts";
import { startHTTPServer } from "../server.ts";
import type { RouteInfo, ServerHandle } from "../types.ts";
import { banner } from "./banner.ts";
import { startOptionsOf, type ServeOptions } from "./options.ts";
import { stopOnSignals } from "./signals.ts";

type WorkerMessage = { vshs: "listening"; url: string; routes: RouteInfo[] } | { vshs: "failed"; message: string };

const respawnWindowMs = 10_000;
const workerPortVariable = "VSHS_WORKER_PORT";
/** Deno ends a process that uses an unstable API without its flag with this code. */
const denoUnstableExitCode = 70;
const maxRespawnsInWindow = 5;
/** How long a worker's last message may trail its exit. */
const lateMessageMs = 500;

/**
 * The cluster primary: forks the workers (they share the port through Node's cluster module), prints
 * the banner once all listen, replaces a worker that dies, and on a signal asks every worker to stop
 * gracefully. It loads no route itself.
 */
export async function runPrimary(options: ServeOptions, version: string, cwd: string): Promise<void> {
    // Node's cluster shares one listening socket, port 0 included. Deno and Bun workers each listen
    // with SO_REUSEPORT instead, so they need the same port number: a free one is chosen here.
    const sharedPort = runtime !== "node" && options.port === 0 ? await freePort(options.host) : undefined;
    const listened = new WeakSet<Worker>();
    const respawns: number[] = [];
    let stopping = false;
    let announced = false;

    if (options.redisUrl === undefined) relayChannels(options.channelHistory, options.channelsKept);
    if (options.redisUrl === undefined) relayRateLimits();

    const fork = () => {
        // Without Redis, the workers' channels go through this process (relayChannels below).
        const worker = cluster.fork({ VSHS_CHANNELS: "cluster", ...(sharedPort === undefined ? {} : { [workerPortVariable]: String(sharedPort) }) });
        worker.on("message", (message: WorkerMessage) => {
            if (message?.vshs === "failed") failAll(message.message);
            if (message?.vshs !== "listening") return;
            listened.add(worker);
            const all = Object.values(cluster.workers ?? {}).filter((each) => each !== undefined);
            if (!announced && all.every((each) => listened.has(each))) {
                announced = true;
                console.log(banner(version, message.url, message.routes, options, cwd));
            }
        });
    };

    const failAll = (message: string) => {
        if (stopping) return;
        stopping = true;
        console.error(`vshs: ${message}`);
        for (const worker of Object.values(cluster.workers ?? {})) worker?.kill();
        process.exitCode = 1;
    };

    cluster.on("exit", (worker, code, signal) => {
        if (stopping) {
            if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(process.exitCode ?? 0);
            return;
        }
        if (!listened.has(worker) && runtime === "deno" && code === denoUnstableExitCode) {
            return failAll("--workers on Deno needs Deno's --unstable-net flag (its port sharing is not stable yet): deno run -A --unstable-net npm:vshs --workers N");
        }
        // A worker that cannot start sends why, then exits; its exit can arrive first (seen on Deno): the
        // message is given a moment to win, so that the user reads the cause, not this.
        if (!listened.has(worker)) {
            setTimeout(() => failAll(`worker ${worker.process.pid} stopped before listening (${signal ?? `exit code ${code}`})`), lateMessageMs);
            return;
        }
        const now = Date.now();
        respawns.push(now);
        while (respawns[0]! < now - respawnWindowMs) respawns.shift();
        if (respawns.length > maxRespawnsInWindow) return failAll(`workers keep dying (${respawns.length} in ${respawnWindowMs / 1000} s): giving up`);
        console.error(`vshs: worker ${worker.process.pid} died (${signal ?? `exit code ${code}`}); starting a new one`);
        fork();
    });

    stopOnSignals(async () => {
        stopping = true;
        for (const worker of Object.values(cluster.workers ?? {})) worker?.send({ vshs: "stop" });
        await new Promise<void>(() => {}); // the "exit" handler above ends the process once every worker is gone
    });

    // However the primary ends (a second signal included), no worker outlives it.
    process.on("exit", () => {
        for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill("SIGKILL");
    });
    for (let i = 0; i < options.workers; i++) fork();
}

/** A cluster worker: serves, tells the primary, and stops gracefully when asked or signalled. */
export async function runWorker(options: ServeOptions): Promise<void> {
    let server: ServerHandle;
    try {
        const port = process.env[workerPortVariable];
        server = await startHTTPServer(startOptionsOf(port === undefined ? options : { ...options, port: Number(port) }));
    } catch (error) {
        // Exit once the message is on its way (Deno's IPC drops a message sent just before exiting).
        const exit = () => process.exit(1);
        if (process.send === undefined) exit();
        process.send?.({ vshs: "failed", message: (error as Error).message } satisfies WorkerMessage, undefined, {}, exit);
        setTimeout(exit, 1000);
        return;
    }
    const stop = () => server.close();
    stopOnSignals(stop, () => {});
    process.on("message", (message: { vshs?: string }) => {
        if (message?.vshs === "stop") void stop().then(() => process.exit(0));
    });
    process.send?.({ vshs: "listening", url: server.url, routes: server.routes } satisfies WorkerMessage);
}

function freePort(host: string): Promise<number> {
    return new Promise((resolve, reject) => {
        const probe = createServer().once("error", reject);
        probe.listen(0, host, () => {
            const { port } = probe.address() as AddressInfo;
            probe.close(() => resolve(port));
        });
    });
}
