import { StartupError } from "../errors.ts";
import type { ErrorLogger, Pipeline } from "../pipeline.ts";
import type { OpenStreams } from "../response/open-streams.ts";
import type { Limits } from "../limits.ts";
import type { AccessLogger } from "../types.ts";

/** What every runtime's server adapter is given. */
export interface AdapterOptions {
    pipeline: Pipeline;
    logError: ErrorLogger;
    accessLog: AccessLogger | null;
    /** The server's limits and timeouts; close() waits shutdownTimeout ms for requests in flight. */
    limits: Limits;
    /** Where event streams are opened, with the server's settings (reload ends some; it sends their heartbeats). */
    streams: OpenStreams;
}

/** A runtime's HTTP server running the pipeline. */
export interface ServerAdapter {
    /** Resolves with the port once listening; a port in use or a bad hostname is a one-line StartupError. */
    listen(port: number, hostname: string): Promise<number>;
    /**
     * Stops accepting connections, ends open event streams, lets requests in flight finish;
     * after shutdownTimeout ms, closes the connections still open.
     */
    close(): Promise<void>;
}

/** The runtimes name their listen errors alike (`code`); Deno also by the error's class name. */
export function listenError(error: unknown, port: number, hostname: string): Error {
    const { code, name, message } = error as { code?: string; name?: string; message?: string };
    switch (code ?? name) {
        case "EADDRINUSE":
        case "AddrInUse":
            return new StartupError(`Port ${port} is already in use on ${hostname} (option "port")`);
        case "EACCES":
        case "PermissionDenied":
            return new StartupError(`Not allowed to listen on port ${port} (option "port"): ports below 1024 need special rights`);
        case "EADDRNOTAVAIL":
        case "AddrNotAvailable":
        case "ENOTFOUND":
            return new StartupError(`Cannot listen on hostname "${hostname}" (option "hostname"): no such address on this machine`);
        default:
            return new StartupError(`Cannot listen on ${hostname}:${port}: ${message ?? String(error)}`);
    }
}
