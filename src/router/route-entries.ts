import type { ErrorLogger } from "../contract.ts";
import { StartupError } from "../errors.ts";
import type { Handler, RoutesObject } from "../types.ts";
import { displayPath, loadRouteFile } from "./load-route.ts";
import { behindMiddleware, middlewareFor, type MiddlewareEntry } from "./middleware-chain.ts";
import type { RouteEntry } from "./router.ts";
import { scanRoutes } from "./scan-routes.ts";

export interface LoadOptions {
    /** Watch mode: a broken file answers 500 with the error (every route behind a broken middleware too), instead of stopping the start. */
    tolerant: boolean;
    /** Above 0, route files and the user's files they import are loaded afresh. */
    generation: number;
    logError: ErrorLogger;
}

/** The route entries of a routes folder, each file imported, each route behind the middleware of its folders. */
export async function loadRouteFolder(folder: string, options: LoadOptions): Promise<RouteEntry[]> {
    const { routes, middleware, misnamed } = await scanRoutes(folder);
    for (const warning of misnamed) console.warn(`Warning: ${warning}`);
    const [handlers, guards] = await Promise.all([loadAll(routes, options), loadAll(middleware, options)]);
    const middlewareEntries: MiddlewareEntry[] = middleware.map(({ pattern, file }, index) => ({ handler: guards[index]!, pattern, source: displayPath(file), file }));
    return routes.map(({ method, pattern, file }, index) => entry(method, pattern, handlers[index]!, displayPath(file), middlewareEntries, file));
}

/** Each file's default export; in tolerant mode, a broken file's stand-in answers 500 with its error. */
async function loadAll(files: readonly { file: string }[], options: LoadOptions): Promise<Handler[]> {
    const loaded = await Promise.allSettled(files.map(({ file }) => loadRouteFile(file, options.generation)));
    return loaded.map((result, index) => {
        if (result.status === "fulfilled") return result.value;
        if (!options.tolerant) throw result.reason;
        const message = result.reason instanceof Error ? result.reason.message : String(result.reason);
        options.logError(`Cannot load ${displayPath(files[index]!.file)} (it answers 500 until it is fixed):`, message);
        return brokenFile(message);
    });
}

function brokenFile(message: string): Handler {
    return () => {
        const error = new Error(message);
        error.stack = message; // the message says where the file is broken; the framework's frames would not help
        throw error;
    };
}

function entry(method: string, pattern: string, handler: Handler, source: string, middleware: readonly MiddlewareEntry[], file?: string): RouteEntry {
    const chain = middlewareFor(pattern, middleware);
    return { method, pattern, handler: behindMiddleware(handler, chain), source, middleware: chain, ...(file === undefined ? {} : { file }) };
}

/** `{ "/hello/GET": handler }`: the last segment is the method; `"/admin/_middleware"` guards `/admin` and below. */
export function routeObjectEntries(routes: RoutesObject): RouteEntry[] {
    const middleware: MiddlewareEntry[] = [];
    const found: { method: string; pattern: string; handler: Handler; source: string }[] = [];
    for (const [key, handler] of Object.entries(routes)) {
        const source = `routes["${key}"]`;
        if (typeof handler !== "function") throw new StartupError(`${source}: the handler must be a function, not ${typeof handler}`);
        const guard = /^(\/.*?)\/?_middleware$/.exec(key);
        if (guard) {
            middleware.push({ handler, pattern: guard[1] || "/", source });
            continue;
        }
        const route = /^(\/.*?)\/?([A-Z]+)$/.exec(key);
        if (route === null) throw new StartupError(`${source}: a route key is a path followed by a method, like "/hello/GET" (or "/admin/_middleware")`);
        found.push({ method: route[2]!, pattern: route[1] || "/", handler, source });
    }
    return found.map(({ method, pattern, handler, source }) => entry(method, pattern, handler, source, middleware));
}
