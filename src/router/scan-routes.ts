import { readdir, realpath, stat } from "node:fs/promises";
import path from "node:path";

import { StartupError } from "../errors.ts";
import { displayPath } from "./load-route.ts";

/** One route file found in the routes folder. */
export interface RouteFile {
    method: string;
    /** The URL pattern, from the folder names: `/params/{name}`. */
    pattern: string;
    file: string;
}

/** A `_middleware` file: it runs before every route of its folder (`pattern`) and below. */
export interface MiddlewareFile {
    pattern: string;
    file: string;
}

export interface RoutesFolder {
    routes: RouteFile[];
    middleware: MiddlewareFile[];
    /** Files that look meant as routes but are not read as such, each with why (printed as warnings). */
    misnamed: string[];
}

const routeFileName = /^([A-Z]+)\.(ts|mts|js|mjs)$/;
const middlewareFileName = /^_middleware\.(ts|mts|js|mjs)$/;
const scriptFileName = /^([^.]+)\.(ts|mts|js|mjs)$/;
/** The methods a lower- or mixed-case file name is taken to mean (a helper module named `get.ts` is rare). */
const knownMethods = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/**
 * Walks the routes folder: each sub-folder is a path segment, each `METHOD.ts|mts|js|mjs` file a handler,
 * each `_middleware.ts|mts|js|mjs` file the middleware of its folder.
 */
export async function scanRoutes(folder: string): Promise<RoutesFolder> {
    const found: RoutesFolder = { routes: [], middleware: [], misnamed: [] };
    await walk(folder, [], found, new Set());
    return found;
}

async function walk(folder: string, segments: string[], found: RoutesFolder, visited: Set<string>): Promise<void> {
    const real = await realpath(folder);
    if (visited.has(real)) return; // a symbolic link that loops back
    visited.add(real);
    const entries = await readdir(folder, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
        if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
        const full = path.join(folder, entry.name);
        const kind = entry.isSymbolicLink() ? await kindOf(full) : entry.isDirectory() ? "folder" : "file";
        if (kind === "folder") {
            await walk(full, [...segments, entry.name], found, visited);
            continue;
        }
        if (kind !== "file") continue;
        const pattern = "/" + segments.join("/");
        const method = routeFileName.exec(entry.name)?.[1];
        if (method !== undefined) found.routes.push({ method, pattern, file: full });
        else if (middlewareFileName.test(entry.name)) addMiddleware(found.middleware, { pattern, file: full });
        else noteMisnamed(found.misnamed, entry.name, full, segments.length === 0);
    }
}

/**
 * `get.ts` (the method in lower case) is skipped as a helper module would be, and so is `hello.ts` at
 * the top of the routes folder; both are most likely meant as routes, so each is named in a warning.
 */
function noteMisnamed(misnamed: string[], name: string, file: string, atTop: boolean): void {
    const stem = scriptFileName.exec(name)?.[1];
    if (stem === undefined) return;
    const upper = stem.toUpperCase();
    if (knownMethods.has(upper)) {
        misnamed.push(`${displayPath(file)} is not a route: method file names are upper case (${upper}.${name.split(".").pop()})`);
    } else if (atTop) {
        misnamed.push(`${displayPath(file)} is not a route: a route is a method file in a folder named after its path (${stem}/GET.${name.split(".").pop()} answers GET /${stem})`);
    }
}

function addMiddleware(middleware: MiddlewareFile[], found: MiddlewareFile): void {
    const other = middleware.find(({ pattern }) => pattern === found.pattern);
    if (other) throw new StartupError(`Two middleware files in one folder: ${displayPath(other.file)} and ${displayPath(found.file)} (keep one)`);
    middleware.push(found);
}

async function kindOf(file: string): Promise<"folder" | "file" | "other"> {
    try {
        const stats = await stat(file);
        return stats.isDirectory() ? "folder" : stats.isFile() ? "file" : "other";
    } catch {
        return "other"; // a dangling link
    }
}
