import module, { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { runtime } from "../runtime.ts";
import { StartupError } from "../errors.ts";
import type { Handler } from "../types.ts";

let hooksReady: Promise<void> | undefined;
const imported = new Set<string>();
/** vshs's own modules (dist/ or src/), never reloaded: a second copy would not be the one serving. */
const ownFolder = path.dirname(path.dirname(fileURLToPath(import.meta.url))) + path.sep;

/**
 * Lets `import()` load TypeScript route files with no build step, whatever imports they use, and lets
 * watch mode load them and the user's files they import afresh. Route files load in parallel: the
 * hooks are set up once, by whichever comes first.
 */
function enableModuleHooks(): Promise<void> {
    return (hooksReady ??= setUpModuleHooks());
}

async function setUpModuleHooks(): Promise<void> {
    switch (runtime) {
        case "node": {
            // tsx (esbuild underneath) strips types fast, caches the result, and resolves `./helper`,
            // `./helper.js` and `./helper.ts` alike. Our hook, chained in front, makes route files ES
            // modules and carries a reload generation to everything a route imports (module-hooks.ts).
            if (typeof module.register !== "function") throw new StartupError("Loading route files this way needs Node.js 20.6 or later");
            const { register: registerTsx } = await import("tsx/esm/api");
            registerTsx({ onImport: (url) => url.startsWith("file:") && imported.add(fileURLToPath(url)) });
            module.register(new URL("./module-hooks.js", import.meta.url));
            return;
        }
        case "deno": {
            // Deno strips types itself; the same hook, in its synchronous form, carries the generation.
            const { resolveSync } = await import("./module-hooks.ts");
            const { registerHooks } = module as unknown as { registerHooks(hooks: { resolve: typeof resolveSync }): void };
            registerHooks({
                resolve: (specifier, context, nextResolve) => {
                    const result = resolveSync(specifier, context, nextResolve);
                    if (result.url.startsWith("file:")) imported.add(fileURLToPath(result.url));
                    return result;
                },
            });
            return;
        }
        case "bun":
            return; // Bun strips types and resolves `./helper` itself; reloading empties its module registry (below)
    }
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
    const hooks = enableModuleHooks();
    if (runtime === "bun") forgetUserModules(generation);
    await hooks;
    const url = pathToFileURL(file);
    if (generation > 0) url.searchParams.set("vshs-generation", String(generation));
    let exported: Record<string, unknown>;
    try {
        exported = await import(url.href);
    } catch (error) {
        throw new StartupError(describeLoadError(error, file));
    } finally {
        if (runtime === "bun") noteUserModules();
    }
    const handler = exported["default"];
    if (typeof handler !== "function") {
        throw new StartupError(`${displayPath(file)}: the default export must be a function, not ${describe(handler)}`);
    }
    return handler as Handler;
}

// Bun keeps ES modules in require.cache too, and a file deleted from it is read again on the next import.
const bunModules = (): Record<string, unknown> => createRequire(import.meta.url).cache;
const isUserModule = (file: string) => path.isAbsolute(file) && !file.includes(`${path.sep}node_modules${path.sep}`) && !file.startsWith(ownFolder);
let forgottenGeneration = 0;

function forgetUserModules(generation: number): void {
    if (generation <= forgottenGeneration) return; // once per generation, before its first import
    forgottenGeneration = generation;
    const modules = bunModules();
    for (const file of Object.keys(modules)) if (isUserModule(file)) delete modules[file];
}

function noteUserModules(): void {
    for (const file of Object.keys(bunModules())) if (isUserModule(file)) imported.add(file);
}

function describe(value: unknown): string {
    if (value === undefined) return "missing (add `export default async function (...) { ... }`)";
    if (value === null) return "null";
    return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/** One line saying where the file is broken: `routes/a/GET.ts:3:7: Expected ";" but found "x"`. */
function describeLoadError(error: unknown, file: string): string {
    const shown = displayPath(file);
    const { message: rawMessage, position } = (error ?? {}) as { message?: unknown; position?: { line: number; column: number } | null };
    const message = (typeof rawMessage === "string" ? rawMessage : String(error)).replace(/\u001b\[[0-9;]*m/g, "");
    // tsx (esbuild): "Transform failed with 1 error:\n/…/GET.ts:1:27: ERROR: Expected identifier…"
    const transform = /^Transform failed with \d+ errors?:\n[^\n]*?:(\d+):(\d+): ERROR: ([^\n]*)/.exec(message);
    if (transform) return `${shown}:${transform[1]}:${Number(transform[2]) + 1}: ${transform[3]}`;
    // Bun: a BuildMessage with the position beside the message
    if (position && position.line > 0) return `${shown}:${position.line}:${position.column}: ${message}`;
    // Deno: the message ends with "at file:///…/GET.ts:1:28" (the file may be one the route imports)
    const at = /\n\s*at (\S+):(\d+):(\d+)\s*$/.exec(message);
    if (at) return `${displayPath(at[1]!.startsWith("file:") ? fileURLToPath(at[1]!) : at[1]!)}:${at[2]}:${at[3]}: ${message.split("\n")[0]}`;
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
