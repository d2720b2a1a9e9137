import { readdir } from "node:fs/promises";
import path from "node:path";
import type { SSEResponse } from "vshs";

/**
 * What /admin/stats and /admin/events report. vshs has no public count of the event streams it holds
 * open, so the example's own streams count themselves in here (`countOpen` below); `openStreams` holds
 * those, by route. Counts are this process's: with --workers, each worker answers with its own.
 */
export interface ServerStats {
    /** Seconds since this process started. */
    uptime: number;
    /** The event streams open now, of each route that counts its own. */
    openStreams: Record<CountedRoute, number>;
    /** The route files (GET.ts, POST.ts…) in examples/routes: the routes served. */
    routes: number;
}

type CountedRoute = "/admin/events" | "/chat/events";
const open: Record<CountedRoute, number> = { "/admin/events": 0, "/chat/events": 0 };

/**
 * Counts `stream` as open until it ends. Call it from the stream's callback, which runs only for a
 * stream that started; it listens to the stream's signal, which aborts once it ends, and leaves
 * `onConnectionClosed` to the route.
 */
export function countOpen(route: CountedRoute, stream: SSEResponse): void {
    open[route]++;
    stream.signal.addEventListener("abort", () => open[route]--, { once: true });
}

const routesFolder = path.join(import.meta.dirname, "..");
const routeFile = /^[A-Z]+\.(ts|mts|js|mjs)$/; // the names vshs reads as a method's handler

export async function serverStats(): Promise<ServerStats> {
    const files = await readdir(routesFolder, { recursive: true });
    return {
        uptime: Math.round(process.uptime()),
        openStreams: { ...open },
        routes: files.filter((file) => routeFile.test(path.basename(file))).length,
    };
}
