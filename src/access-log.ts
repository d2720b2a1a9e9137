import type { AccessLogEntry, AccessLogger } from "./types.ts";

/** `2026-11-24T08:00:00.000Z GET /hello-world 200 0.4 ms` */
export function formatAccessLine({ time, method, path, status, durationMs }: AccessLogEntry): string {
    return `${time.toISOString()} ${method} ${path} ${status} ${durationMs.toFixed(1)} ms`;
}

export function accessLogger(option: boolean | AccessLogger | undefined): AccessLogger | null {
    if (typeof option === "function") return guarded(option);
    return option ? (entry) => console.log(formatAccessLine(entry)) : null;
}

/** The application's logger, such that its failure never changes an answer or stops the server. */
function guarded(log: AccessLogger): AccessLogger {
    return (entry) => {
        try {
            log(entry);
        } catch (error) {
            console.error("The access logger threw:", error);
        }
    };
}
