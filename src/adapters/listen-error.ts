import { StartupError } from "../errors.ts";

/**
 * A runtime's listen error as one line: the runtimes name them alike (`code`), Deno also by the error's
 * class name. `tls`: the server was to serve HTTPS, and Deno.serve and Bun.serve refuse a certificate or
 * key they cannot use as they start listening, with their TLS library's words.
 */
export function listenError(error: unknown, port: number, hostname: string, tls = false): Error {
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
            if (tls) return tlsError(error, ` on ${hostname}:${port}`);
            return new StartupError(`Cannot listen on ${hostname}:${port}: ${message ?? String(error)}`);
    }
}

/** A certificate and key the runtime's TLS library refuses (they do not match, or do not decode), as one line. */
export function tlsError(error: unknown, where = ""): StartupError {
    const { message } = error as { message?: string };
    return new StartupError(`Cannot serve HTTPS${where}: ${message ?? String(error)} (check the certificate and its key: option "tls", or --tls-cert and --tls-key)`);
}
