import { readdir, realpath, stat } from "node:fs/promises";
import path from "node:path";

/** One route file found in the routes folder. */
export interface RouteFile {
    method: string;
    /** The URL pattern, from the folder names: `/params/{name}`. */
    pattern: string;
    file: string;
}

const routeFileName = /^([A-Z]+)\.(ts|mts|js|mjs)$/;

/** Walks the routes folder: each sub-folder is a path segment, each `METHOD.ts|mts|js|mjs` file a handler. */
export async function scanRoutes(folder: string): Promise<RouteFile[]> {
    const found: RouteFile[] = [];
    await walk(folder, [], found, new Set());
    return found;
}

async function walk(folder: string, segments: string[], found: RouteFile[], visited: Set<string>): Promise<void> {
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
        const method = routeFileName.exec(entry.name)?.[1];
        if (kind === "file" && method !== undefined) found.push({ method, pattern: "/" + segments.join("/"), file: full });
    }
}

async function kindOf(file: string): Promise<"folder" | "file" | "other"> {
    try {
        const stats = await stat(file);
        return stats.isDirectory() ? "folder" : stats.isFile() ? "file" : "other";
    } catch {
        return "other"; // a dangling link
    }
}
