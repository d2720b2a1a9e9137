import path from "node:path";
import { runtimeDescription } from "../runtime.ts";
import type { RouteInfo } from "../types.ts";
import type { ServeOptions } from "./options.ts";

/**
 * What the CLI prints once listening: the URL, the routes and the middleware (`*  /admin and below`:
 * every method, /admin and everything under it), sorted by path, then method; the static folder.
 */
export function banner(version: string, url: string, routes: RouteInfo[], options: ServeOptions, cwd: string): string {
    const lines = [`vshs ${version} serving ${url} on ${runtimeDescription()}`, ""];
    const sorted = [...routes, ...middlewareRows(routes, options.routes)].sort((a, b) => compare(a.path, b.path) || compare(a.method, b.method));
    if (sorted.length === 0) lines.push(`  (no routes in ${shown(options.routes, cwd)})`);
    const methodWidth = Math.max(6, ...sorted.map((route) => route.method.length));
    const pathWidth = Math.max(...sorted.map((route) => route.path.length), 0);
    for (const route of sorted) {
        lines.push(`  ${route.method.padEnd(methodWidth)}  ${route.path.padEnd(pathWidth)}  ${route.file ? shown(route.file, cwd) : ""}`.trimEnd());
    }
    lines.push("");
    lines.push(...staticLines(options.static, cwd));
    if (options.watch) lines.push("  watching route files for changes");
    if (options.workers > 1) lines.push(`  ${options.workers} worker processes`);
    return lines.join("\n");
}

/** `static: public/`, or one line per folder with its prefix when any has one. */
function staticLines(folders: ServeOptions["static"], cwd: string): string[] {
    if (folders.length === 0) return ["  static: none (--static DIR to serve files)"];
    if (folders.length === 1 && folders[0]!.prefix === "/") return [`  static: ${shown(folders[0]!.dir, cwd) + path.sep}`];
    return folders.map(({ dir, prefix }) => `  static: ${prefix.padEnd(Math.max(...folders.map((each) => each.prefix.length)))}  ${shown(dir, cwd) + path.sep}`);
}

function shown(file: string, cwd: string): string {
    const relative = path.relative(cwd, file);
    return relative === "" ? "." : relative.startsWith("..") || path.isAbsolute(relative) ? file : relative;
}

function compare(a: string, b: string): number {
    return a < b ? -1 : a > b ? 1 : 0;
}

/** One row per middleware file the routes run behind: its folder's path, for every method. */
function middlewareRows(routes: RouteInfo[], routesFolder: string): RouteInfo[] {
    const files = new Set(routes.flatMap((route) => route.middleware ?? []));
    return [...files].map((file) => {
        const folder = path.relative(routesFolder, path.dirname(file)).split(path.sep).join("/");
        return { method: "*", path: `/${folder} and below`, file };
    });
}
