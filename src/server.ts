import { accessLogger } from "./access-log.ts";
import { createServerAdapter } from "./adapters/runtime.ts";
import { corsHeaders } from "./cors.ts";
import { defaultChannelHistory, defaultChannelsKept, useChannels } from "./channels/channel.ts";
import { StartupError } from "./errors.ts";
import { checkNumber, limitsFrom } from "./limits.ts";
import { resolveFolder } from "./paths.ts";
import { Pipeline, type ErrorLogger } from "./pipeline.ts";
import { checkRoutes } from "./router/check-routes.ts";
import { importedFiles } from "./router/load-route.ts";
import { loadRouteFolder, routeObjectEntries } from "./router/route-table.ts";
import { Router, type RouteEntry } from "./router/router.ts";
import { defaultHeartbeatInterval, OpenStreams } from "./response/open-streams.ts";
import { fingerprints, RouteWatcher } from "./router/watch-routes.ts";
import { StaticFolder } from "./static/serve-static.ts";
import type { RouteInfo, ServerHandle, StartOptions } from "./types.ts";


/**
 * Starts serving the routes folder (and the static folder, if any); resolves once listening.
 * Mistakes in the options or the route files reject with a one-line StartupError.
 */
export async function startHTTPServer(options: StartOptions = {}): Promise<ServerHandle> {
    const hostname = options.hostname ?? "localhost";
    const port = checkNumber("port", options.port ?? 8080, 0, 65535);
    const limits = limitsFrom(options);
    const heartbeatInterval = checkNumber("heartbeatInterval", options.heartbeatInterval ?? defaultHeartbeatInterval, 0, 2 ** 31 - 1);
    const channelHistory = checkNumber("channelHistory", options.channelHistory ?? defaultChannelHistory, 0, 1_000_000);
    const channelsKept = checkNumber("channelsKept", options.channelsKept ?? defaultChannelsKept, 1, 10_000_000);
    const redisUrl = options.redisUrl ?? (process.env.REDIS_URL || undefined);
    const logError: ErrorLogger = (message, error) => console.error(message, error);
    const routes = options.routes ?? "/routes";
    if (typeof routes !== "string" && (typeof routes !== "object" || routes === null)) {
        throw new StartupError(`The routes option must be a folder or an object of handlers, not ${typeof routes}`);
    }
    const folder = typeof routes === "string" ? resolveFolder(routes, "routes") : null;
    if (options.watch && folder === null) throw new StartupError("The watch option needs a routes folder, not an object of handlers");

    const entries = folder === null ? routeObjectEntries(routes as Exclude<typeof routes, string>) : await loadRouteFolder(folder, { tolerant: options.watch === true, generation: options.watch ? 1 : 0, logError });
    const pipeline = new Pipeline({
        router: buildRouter(entries),
        staticFolder: options.static === undefined ? null : new StaticFolder(resolveFolder(options.static, "static"), { dotfiles: options.dotfiles === true }),
        limits,
        exposeErrors: options.exposeErrors ?? process.env.NODE_ENV !== "production",
        baseHeaders: corsHeaders(options.cors ?? true),
        fallbackHost: hostPort(hostname, port),
        logError,
    });
    const streams = new OpenStreams({ heartbeatInterval, maxEventBuffer: limits.maxEventBuffer, log: logError });
    const releaseChannels = await useChannels({ history: channelHistory, channelsKept, redisUrl });
    const server = await createServerAdapter({ pipeline, logError, accessLog: accessLogger(options.logger), limits, streams });
    const watcher = options.watch && folder !== null ? watchFolder(folder, pipeline, streams, logError) : null;
    let boundPort: number;
    try {
        boundPort = await server.listen(port, hostname);
    } catch (error) {
        watcher?.close();
        await releaseChannels();
        throw error;
    }
    return {
        url: `http://${hostPort(hostname, boundPort)}`,
        port: boundPort,
        get routes() {
            return routeInfo(pipeline.router);
        },
        close: async () => {
            watcher?.close();
            await server.close();
            await releaseChannels();
        },
    };
}

/** The router for these entries; what looks like a mistake in the route table is printed as a warning. */
function buildRouter(entries: RouteEntry[]): Router {
    const router = new Router(entries);
    for (const warning of checkRoutes(router, router.entries)) console.warn(`Warning: ${warning}`);
    return router;
}

function watchFolder(folder: string, pipeline: Pipeline, streams: OpenStreams, logError: ErrorLogger): RouteWatcher {
    let generation = 1;
    let current = fingerprints(routeFiles(pipeline.router));
    // Each handler with its file's fingerprint when it was loaded: it is stale once the file differs.
    const loadedFrom = new WeakMap<object, { file: string; fingerprint: string | undefined }>();
    const remember = (router: Router) => router.entries.forEach(({ handler, file }) => file !== undefined && loadedFrom.set(handler, { file, fingerprint: current.get(file) }));
    const isStale = (handler: unknown) => {
        const loaded = loadedFrom.get(handler as object);
        return loaded !== undefined && current.get(loaded.file) !== loaded.fingerprint;
    };
    remember(pipeline.router);
    const watcher: RouteWatcher = new RouteWatcher(folder, async () => {
        const started = performance.now();
        generation++;
        try {
            const router = buildRouter(await loadRouteFolder(folder, { tolerant: true, generation, logError }));
            pipeline.useRouter(router);
            current = fingerprints(routeFiles(router));
            remember(router);
            // A stream opened by a route file that changed (or went away) would go on running the old
            // code: it ends with a retry hint, and its client reconnects to the new code.
            streams.closeStale(isStale);
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
    return router.entries.flatMap((entry) => (entry.file === undefined ? [] : [entry.file]));
}

function routeInfo(router: Router): RouteInfo[] {
    return router.entries.map(({ method, pattern, file }) => (file === undefined ? { method, path: pattern } : { method, path: pattern, file }));
}

function hostPort(hostname: string, port: number): string {
    return `${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;
}
