import { StartupError } from "../errors.ts";

/** A runtime's listen error as one line: the runtimes name them alike (`code`), Deno also by the error's class name. */
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
