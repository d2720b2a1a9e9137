/**
 * Watch mode: the routes folder is loaded again when a route file (or a file it imports) changes, and
 * the event streams of a route file that changed end, so that none goes on running the old code. This
 * module owns the link between a stream and its file: each handler is remembered with the fingerprint its
 * file had when it was loaded, and is stale once the file differs (or is gone).
 */
import type { ErrorLogger } from "./contract.ts";
import type { Pipeline } from "./pipeline.ts";
import { importedFiles } from "./router/load-route.ts";
import { loadRouteFolder } from "./router/route-entries.ts";
import type { Router, RouteEntry } from "./router/router.ts";
import { fingerprints, RouteWatcher } from "./router/watch-routes.ts";
import type { Handler } from "./types.ts";

export interface WatchMode {
    folder: string;
    pipeline: Pipeline;
    /** The event streams and WebSockets held open, of which those running a changed file's code are closed. */
    streams: readonly { closeStale(isStale: (handler: Handler) => boolean): void }[];
    /** Builds the router of freshly loaded entries (printing its warnings). */
    buildRouter: (entries: RouteEntry[]) => Router;
    logError: ErrorLogger;
}

export function watchRoutes({ folder, pipeline, streams, buildRouter, logError }: WatchMode): RouteWatcher {
    let generation = 1;
    let current = fingerprints(routeFiles(pipeline.router));
    // A route's handler runs behind its middleware: it is stale once its file or one of theirs differs.
    const loadedFrom = new WeakMap<Handler, { file: string; fingerprint: string | undefined }[]>();
    const remember = (router: Router) =>
        router.entries.forEach((entry) => loadedFrom.set(entry.handler, filesOf(entry).map((file) => ({ file, fingerprint: current.get(file) }))));
    const isStale = (handler: Handler) => loadedFrom.get(handler)?.some(({ file, fingerprint }) => current.get(file) !== fingerprint) ?? false;
    remember(pipeline.router);
    const watcher: RouteWatcher = new RouteWatcher(folder, async () => {
        const started = performance.now();
        generation++;
        try {
            const router = buildRouter(await loadRouteFolder(folder, { tolerant: true, generation, logError }));
            pipeline.useRouter(router);
            current = fingerprints(routeFiles(router));
            remember(router);
            // Its client reconnects (retry:) to the new code.
            for (const each of streams) each.closeStale(isStale);
            console.log(`Routes reloaded: ${router.entries.length} routes in ${Math.round(performance.now() - started)} ms`);
        } catch (error) {
            logError("Routes not reloaded, the previous ones still answer:", error instanceof Error ? error.message : error);
        }
        watcher.follow(importedFiles());
    });
    watcher.follow(importedFiles());
    return watcher;
}

function routeFiles(router: Router): string[] {
    return [...new Set(router.entries.flatMap(filesOf))];
}

/** The route's file and its middleware files. */
function filesOf({ file, middleware = [] }: RouteEntry): string[] {
    return [file, ...middleware.map((each) => each.file)].filter((each): each is string => each !== undefined);
}
