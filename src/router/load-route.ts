import module from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { register as registerTsx } from "tsx/esm/api";
import { StartupError } from "../errors.ts";
import type { Handler } from "../types.ts";

let typeScriptReady = false;

/**
 * Lets `import()` load TypeScript with no build step. tsx (esbuild underneath) is the loader: it strips
 * types fast, caches the result, and resolves `./helper`, `./helper.js` and `./helper.ts` alike.
 */
function enableTypeScript(): void {
    if (typeScriptReady) return;
    if (typeof module.register !== "function") throw new StartupError("TypeScript route files need Node.js 20.6 or later");
    registerTsx();
    module.register(new URL("./typescript-hook.js", import.meta.url));
    typeScriptReady = true;
}

/** Imports a route file and returns its default export, which must be a function. */
export async function loadRouteFile(file: string): Promise<Handler> {
    if (/\.m?ts$/.test(file)) enableTypeScript();
    let exported: Record<string, unknown>;
    try {
        exported = await import(pathToFileURL(file).href);
    } catch (error) {
        throw new StartupError(`${displayPath(file)}: ${oneLine(error)}`);
    }
    const handler = exported["default"];
    if (typeof handler !== "function") {
        throw new StartupError(`${displayPath(file)}: the default export must be a function, not ${describe(handler)}`);
    }
    return handler as Handler;
}

function describe(value: unknown): string {
    if (value === undefined) return "missing (add `export default async function (...) { ... }`)";
    return value === null ? "null" : `a ${typeof value}`;
}

function oneLine(error: unknown): string {
    const message = error instanceof Error ? error.message : String(error);
    return message.split("\n").filter((line) => line.trim() !== "").join(" ");
}

export function displayPath(file: string): string {
    const relative = path.relative(process.cwd(), file);
    return relative.startsWith("..") || path.isAbsolute(relative) ? file : relative;
}
