import type { AccessLogSink } from "./contract.ts";
import type { AccessLogEntry, AccessLogger } from "./types.ts";

/** `2026-11-24T08:00:00.000Z GET /hello-world 200 0.4 ms` */
export function formatAccessLine({ time, method, path, status, durationMs }: AccessLogEntry): string {
    return `${time.toISOString()} ${method} ${path} ${status} ${durationMs.toFixed(1)} ms`;
}

/** The `logger` option as the adapters feed it: a line per request on stdout, the application's function, or none. */
export function accessLogger(option: boolean | AccessLogger | undefined): AccessLogSink | null {
    if (typeof option === "function") return guarded(option);
    return option ? (entry) => console.log(formatAccessLine(entry)) : null;
}

/** The application's logger, such that its failure never changes an answer or stops the server. */
function guarded(log: AccessLogger): AccessLogSink {
    return (entry) => {
        try {
            log(entry);
        } catch (error) {
            console.error("The access logger threw:", error);
        }
    };
}

/**
 * The one timing rule, on every runtime: a request is timed from its arrival until its answer has ended
 * (an event stream or a streamed body when it closes, however long it ran), and logged once, with the
 * path as sent, without its query. Returns what the adapter calls when the answer ends.
 */
export function timeRequest(log: AccessLogSink, method: string, target: string): (status: number) => void {
    const time = new Date();
    const started = performance.now();
    let logged = false;
    return (status) => {
        if (logged) return;
        logged = true;
        const query = target.indexOf("?");
        log({ time, method, path: query === -1 ? target : target.slice(0, query), status, durationMs: performance.now() - started });
    };
}
