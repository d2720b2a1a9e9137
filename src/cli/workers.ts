import cluster, { type Worker } from "node:cluster";
import { startHTTPServer } from "../server.ts";
import type { RouteInfo } from "../types.ts";
import { banner } from "./banner.ts";
import { serverOptions, type ServeOptions } from "./options.ts";
import { stopOnSignals } from "./shutdown.ts";

type WorkerMessage = { vshs: "listening"; url: string; routes: RouteInfo[] } | { vshs: "failed"; message: string };

const respawnWindowMs = 10_000;
const maxRespawnsInWindow = 5;

/**
 * The cluster primary: forks the workers (they share the port through Node's cluster module), prints
 * the banner once all listen, replaces a worker that dies, and on a signal asks every worker to stop
 * gracefully. It loads no route itself.
 */
export function runPrimary(options: ServeOptions, version: string, cwd: string): void {
    const listened = new WeakSet<Worker>();
    const respawns: number[] = [];
    let stopping = false;
    let announced = false;

    const fork = () => {
        const worker = cluster.fork();
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
        if (!listened.has(worker)) return failAll(`worker ${worker.process.pid} stopped before listening (${signal ?? `exit code ${code}`})`);
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
    let server;
    try {
        server = await startHTTPServer(serverOptions(options));
    } catch (error) {
        process.send?.({ vshs: "failed", message: (error as Error).message } satisfies WorkerMessage);
        process.exit(1);
    }
    const stop = () => server.close();
    stopOnSignals(stop, () => {});
    process.on("message", (message: { vshs?: string }) => {
        if (message?.vshs === "stop") void stop().then(() => process.exit(0));
    });
    process.send?.({ vshs: "listening", url: server.url, routes: server.routes } satisfies WorkerMessage);
}
