import { accessLogger } from "./access-log.ts";
import { createServerAdapter, promisePeek } from "./adapters/create-adapter.ts";
import type { ErrorLogger } from "./contract.ts";
import { corsPolicy } from "./cors.ts";
import { useChannels } from "./channels/hub.ts";
import { useRateLimits } from "./rate-limit/stores.ts";
import { resolveSettings } from "./options.ts";
import { Pipeline } from "./pipeline.ts";
import { checkRoutes } from "./router/check-routes.ts";
import { loadRouteFolder, routeObjectEntries } from "./router/route-entries.ts";
import { Router, type RouteEntry } from "./router/router.ts";
import { OpenStreams } from "./response/open-streams.ts";
import { OpenSockets } from "./response/open-sockets.ts";
import { longLivedAnswers } from "./response/long-lived.ts";
import { runtime } from "./runtime.ts";
import { shutDown } from "./shutdown.ts";
import { watchRoutes } from "./watch-mode.ts";
import { StaticFiles } from "./static/static-files.ts";
import { Compression } from "./response/compression.ts";
import type { RouteInfo, ServerHandle, StartOptions } from "./types.ts";


/**
 * Starts serving the routes folder (and the static folder, if any); resolves once listening.
 * Mistakes in the options or the route files reject with a one-line StartupError.
 */
export async function startHTTPServer(options: StartOptions = {}): Promise<ServerHandle> {
    const settings = resolveSettings(options);
    const { hostname, port, limits, routes, watch } = settings;
    const logError: ErrorLogger = (message, ...error) => console.error(message, ...error);
    const folder = "folder" in routes ? routes.folder : null;

    const streams = new OpenStreams({ ...settings.streams, log: logError });
    const sockets = new OpenSockets({ ...settings.streams, log: logError });
    const cors = corsPolicy(settings.cors);
    const compression = settings.compress === null ? null : new Compression(settings.compress);
    const entries = "handlers" in routes ? routeObjectEntries(routes.handlers) : await loadRouteFolder(routes.folder, { tolerant: watch, generation: watch ? 1 : 0, logError });
    const pipeline = new Pipeline({
        router: buildRouter(entries),
        staticFiles: settings.staticFolders.length === 0 ? null : new StaticFiles(settings.staticFolders, { dotfiles: settings.dotfiles, maxAge: settings.staticMaxAge, compression }),
        compression,
        limits,
        exposeErrors: settings.exposeErrors,
        cors,
        secrets: settings.secrets,
        fallbackHost: hostPort(hostname, port),
        longLived: longLivedAnswers(streams, sockets, cors),
        logError,
        peek: await promisePeek(runtime),
    });
    const releaseChannels = await useChannels(settings.channels);
    // After the routes are loaded: a rateLimit() they made connects now, so an unreachable Redis stops the start.
    const releaseRateLimits = await useRateLimits({ redisUrl: settings.channels.redisUrl, redisTimeout: settings.channels.redisTimeout }).catch(async (error: unknown) => {
        await releaseChannels();
        throw error;
    });
    const release = async () => {
        await releaseChannels();
        await releaseRateLimits();
    };
    const server = await createServerAdapter(runtime, { answers: pipeline, logError, accessLog: accessLogger(settings.logger), limits, trustProxy: settings.trustProxy, perMessageDeflate: settings.perMessageDeflate, tls: settings.tls });
    const watcher = watch && folder !== null ? watchRoutes({ folder, pipeline, streams: [streams, sockets], buildRouter, logError }) : null;
    let boundPort: number;
    let closed: Promise<void> | undefined;
    try {
        boundPort = await server.listen(port, hostname);
    } catch (error) {
        watcher?.close();
        await release();
        throw error;
    }
    return {
        url: `${settings.tls === null ? "http" : "https"}://${hostPort(hostname, boundPort)}`,
        port: boundPort,
        get routes() {
            return routeInfo(pipeline.router);
        },
        close: () => (closed ??= (async () => {
            watcher?.close();
            await shutDown(server, [streams, sockets], limits.shutdownTimeout);
            await release();
        })()),
    };
}

/** The router for these entries; what looks like a mistake in the route table is printed as a warning. */
function buildRouter(entries: RouteEntry[]): Router {
    const router = new Router(entries);
    for (const warning of checkRoutes(router, router.entries)) console.warn(`Warning: ${warning}`);
    return router;
}

function routeInfo(router: Router): RouteInfo[] {
    return router.entries.map(({ method, pattern, file, middleware = [] }) => {
        const info: RouteInfo = { method, path: pattern };
        if (file !== undefined) info.file = file;
        if (middleware.length > 0) info.middleware = middleware.map((each) => each.file ?? each.source);
        return info;
    });
}

function hostPort(hostname: string, port: number): string {
    return `${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;
}
