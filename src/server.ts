import { NodeServer } from "./adapters/node.ts";
import { corsHeaders } from "./cors.ts";
import { StartupError } from "./errors.ts";
import { resolveFolder } from "./paths.ts";
import { Pipeline, type ErrorLogger } from "./pipeline.ts";
import { displayPath, loadRouteFile } from "./router/load-route.ts";
import { Router, type RouteEntry } from "./router/router.ts";
import { scanRoutes } from "./router/scan-routes.ts";
import { StaticFolder } from "./static/serve-static.ts";
import type { RoutesObject, ServerHandle, StartOptions } from "./types.ts";

const defaultMaxBodySize = 1024 * 1024;

/**
 * Starts serving the routes folder (and the static folder, if any); resolves once listening.
 * Mistakes in the options or the route files reject with a one-line StartupError.
 */
export async function startHTTPServer(options: StartOptions = {}): Promise<ServerHandle> {
    const hostname = options.hostname ?? "localhost";
    const port = checkNumber("port", options.port ?? 8080, 0, 65535);
    const maxBodySize = checkNumber("maxBodySize", options.maxBodySize ?? defaultMaxBodySize, 0, Number.MAX_SAFE_INTEGER);
    const router = new Router(await routeEntries(options.routes ?? "/routes"));
    const staticFolder = options.static === undefined ? null : new StaticFolder(resolveFolder(options.static, "static"));
    const logError: ErrorLogger = (message, error) => console.error(message, error);
    const pipeline = new Pipeline({
        router,
        staticFolder,
        maxBodySize,
        baseHeaders: corsHeaders(options.cors ?? true),
        fallbackHost: hostPort(hostname, port),
        logError,
    });
    const server = new NodeServer({ pipeline, logError });
    const boundPort = await server.listen(port, hostname);
    return { url: `http://${hostPort(hostname, boundPort)}`, port: boundPort, close: () => server.close() };
}

async function routeEntries(routes: string | RoutesObject): Promise<RouteEntry[]> {
    if (typeof routes === "string") return routeFileEntries(resolveFolder(routes, "routes"));
    if (typeof routes === "object" && routes !== null) return routeObjectEntries(routes);
    throw new StartupError(`The routes option must be a folder or an object of handlers, not ${typeof routes}`);
}

async function routeFileEntries(folder: string): Promise<RouteEntry[]> {
    const files = await scanRoutes(folder);
    return Promise.all(
        files.map(async ({ method, pattern, file }) => ({ method, pattern, handler: await loadRouteFile(file), source: displayPath(file) })),
    );
}

/** `{ "/hello/GET": handler }`: the last segment is the method. */
function routeObjectEntries(routes: RoutesObject): RouteEntry[] {
    return Object.entries(routes).map(([key, handler]) => {
        const found = /^(\/.*?)\/?([A-Z]+)$/.exec(key);
        const source = `routes["${key}"]`;
        if (found === null) throw new StartupError(`${source}: a route key is a path followed by a method, like "/hello/GET"`);
        if (typeof handler !== "function") throw new StartupError(`${source}: the handler must be a function, not ${typeof handler}`);
        return { method: found[2]!, pattern: found[1] || "/", handler, source };
    });
}

function checkNumber(option: string, value: number, min: number, max: number): number {
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
        throw new StartupError(`The ${option} option must be a whole number from ${min} to ${max}, not ${JSON.stringify(value)}`);
    }
    return value;
}

function hostPort(hostname: string, port: number): string {
    return `${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;
}
