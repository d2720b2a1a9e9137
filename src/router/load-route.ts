import module from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { runtime } from "../adapters/runtime.ts";
import { StartupError } from "../errors.ts";
import type { Handler } from "../types.ts";

let hooksReady: Promise<void> | undefined;
const imported = new Set<string>();

/**
 * Lets `import()` load TypeScript with no build step on Node (Deno and Bun load it themselves).
 * tsx (esbuild underneath) is the loader: it strips types fast, caches the result, and resolves
 * `./helper`, `./helper.js` and `./helper.ts` alike. Our own hook, chained in front, makes route files
 * ES modules and carries a reload generation to everything a route imports (see module-hooks.ts).
 */
function enableModuleHooks(): Promise<void> {
    if (runtime !== "node") return Promise.resolve();
    // Route files load in parallel: the hooks must be registered once, by whichever comes first.
    return (hooksReady ??= (async () => {
        if (typeof module.register !== "function") throw new StartupError("Loading route files this way needs Node.js 20.6 or later");
        const { register: registerTsx } = await import("tsx/esm/api");
        registerTsx({ onImport: (url) => url.startsWith("file:") && imported.add(fileURLToPath(url)) });
        module.register(new URL("./module-hooks.js", import.meta.url));
    })());
}

/** Every file imported since the hooks were enabled (route files, their helpers, libraries). */
export function importedFiles(): ReadonlySet<string> {
    return imported;
}

/**
 * Imports a route file and returns its default export, which must be a function.
 * A `generation` above 0 loads the file and the user's files it imports afresh (watch mode).
 */
export async function loadRouteFile(file: string, generation = 0): Promise<Handler> {
    await enableModuleHooks();
    if (runtime !== "node") imported.add(file);
    const url = pathToFileURL(file);
    if (generation > 0) url.searchParams.set("vshs-generation", String(generation));
    let exported: Record<string, unknown>;
    try {
        exported = await import(url.href);
    } catch (error) {
        throw new StartupError(describeLoadError(error, file));
    }
    const handler = exported["default"];
    if (typeof handler !== "function") {
        throw new StartupError(`${displayPath(file)}: the default export must be a function, not ${describe(handler)}`);
    }
    return handler as Handler;
}

function describe(value: unknown): string {
    if (value === undefined) return "missing (add `export default async function (...) { ... }`)";
    if (value === null) return "null";
    return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/** One line saying where the file is broken: `routes/a/GET.ts:3:7: Expected ";" but found "x"`. */
function describeLoadError(error: unknown, file: string): string {
    const shown = displayPath(file);
    const message = error instanceof Error ? error.message : String(error);
    const transform = /^Transform failed with \d+ errors?:\n[^\n]*?:(\d+):(\d+): ERROR: ([^\n]*)/.exec(message);
    if (transform) return `${shown}:${transform[1]}:${Number(transform[2]) + 1}: ${transform[3]}`;
    const line = lineInStack(error, file);
    const text = message.split("\n").filter((part) => part.trim() !== "").join(" ");
    return line === undefined ? `${shown}: ${text}` : `${shown}:${line}: ${text}`;
}

function lineInStack(error: unknown, file: string): string | undefined {
    const stack = error instanceof Error ? (error.stack ?? "") : "";
    for (const name of [pathToFileURL(file).href, file]) {
        const at = stack.indexOf(name + ":");
        if (at !== -1) return /^:(\d+)/.exec(stack.slice(at + name.length))?.[1];
        const withQuery = new RegExp(`${escapeRegExp(name)}\\?[^:\\s]*:(\\d+)`).exec(stack);
        if (withQuery) return withQuery[1];
    }
    return undefined;
}

function escapeRegExp(text: string): string {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export function displayPath(file: string): string {
    const relative = path.relative(process.cwd(), file);
    return relative.startsWith("..") || path.isAbsolute(relative) ? file : relative;
}
