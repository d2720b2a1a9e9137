import type { ErrorLogger } from "../contract.ts";
import { StartupError } from "../errors.ts";
import type { Handler, RoutesObject } from "../types.ts";
import { displayPath, loadRouteFile } from "./load-route.ts";
import type { RouteEntry } from "./router.ts";
import { scanRoutes } from "./scan-routes.ts";

export interface LoadOptions {
    /** Watch mode: a broken file becomes a route answering 500 with the error, instead of stopping the start. */
    tolerant: boolean;
    /** Above 0, route files and the user's files they import are loaded afresh. */
    generation: number;
    logError: ErrorLogger;
}

/** The route entries of a routes folder, each file imported. */
export async function loadRouteFolder(folder: string, options: LoadOptions): Promise<RouteEntry[]> {
    const files = await scanRoutes(folder);
    const loaded = await Promise.allSettled(files.map(({ file }) => loadRouteFile(file, options.generation)));
    return files.map(({ method, pattern, file }, index) => {
        const result = loaded[index]!;
        const source = displayPath(file);
        if (result.status === "fulfilled") return { method, pattern, handler: result.value, source, file };
        if (!options.tolerant) throw result.reason;
        const message = result.reason instanceof Error ? result.reason.message : String(result.reason);
        options.logError(`Cannot load ${source} (it answers 500 until it is fixed):`, message);
        return { method, pattern, handler: brokenRoute(message), source, file };
    });
}

function brokenRoute(message: string): Handler {
    return () => {
        const error = new Error(message);
        error.stack = message; // the message says where the file is broken; the framework's frames would not help
        throw error;
    };
}

/** `{ "/hello/GET": handler }`: the last segment is the method. */
export function routeObjectEntries(routes: RoutesObject): RouteEntry[] {
    return Object.entries(routes).map(([key, handler]) => {
        const found = /^(\/.*?)\/?([A-Z]+)$/.exec(key);
        const source = `routes["${key}"]`;
        if (found === null) throw new StartupError(`${source}: a route key is a path followed by a method, like "/hello/GET"`);
        if (typeof handler !== "function") throw new StartupError(`${source}: the handler must be a function, not ${typeof handler}`);
        return { method: found[2]!, pattern: found[1] || "/", handler, source };
    });
}
