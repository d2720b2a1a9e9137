import { connect } from "node:net";
import path from "node:path";
import { after } from "node:test";
import { startHTTPServer, type ServerHandle, type StartOptions } from "vshs";

export const repoRoot = path.resolve(import.meta.dirname, "../..");
export const examplesDir = path.join(repoRoot, "examples");
export const fixturesDir = path.join(repoRoot, "test/fixtures");

export interface TestServer extends ServerHandle {
    /** fetch() relative to the server's URL. */
    fetch(pathname: string, init?: RequestInit): Promise<Response>;
    /** Sends bytes exactly as given (no client-side normalisation) and returns the raw answer. */
    raw(request: string): Promise<RawAnswer>;
}

export interface RawAnswer {
    status: number;
    headers: Record<string, string>;
    body: string;
}

/** Starts a real server on a free port of localhost, closed when the test file ends (call it at the top level). */
export async function serve(options: StartOptions): Promise<TestServer> {
    const handle = await startHTTPServer({ hostname: "127.0.0.1", port: 0, ...options });
    after(() => handle.close());
    return {
        ...handle,
        fetch: (pathname, init) => fetch(handle.url + pathname, init),
        raw: (request) => rawRequest(handle.port, request),
    };
}

/** The examples server, as `npm start` runs it. */
export function serveExamples(): Promise<TestServer> {
    return serve({ routes: path.join(examplesDir, "routes"), static: path.join(examplesDir, "assets") });
}

/** One HTTP/1.1 exchange over a plain socket, for request targets fetch() would normalise. */
export function rawRequest(port: number, request: string): Promise<RawAnswer> {
    return new Promise((resolve, reject) => {
        const socket = connect(port, "127.0.0.1");
        const chunks: Buffer[] = [];
        socket.on("data", (chunk) => chunks.push(chunk));
        socket.on("error", reject);
        socket.on("end", () => resolve(parseRaw(Buffer.concat(chunks).toString("latin1"))));
        socket.write(request.includes("\r\n\r\n") ? request : `${request}\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
    });
}

function parseRaw(text: string): RawAnswer {
    const [head = "", ...rest] = text.split("\r\n\r\n");
    const [statusLine = "", ...lines] = head.split("\r\n");
    const headers: Record<string, string> = {};
    for (const line of lines) {
        const colon = line.indexOf(":");
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    return { status: Number(statusLine.split(" ")[1]), headers, body: rest.join("\r\n\r\n") };
}

/** Collects what console.error prints while `action` runs. */
export function captureErrors<T>(action: () => Promise<T>): Promise<{ result: T; logged: string }> {
    return captureConsole("error", action);
}

/** Collects what console.error, console.warn or console.log prints while `action` runs. */
export async function captureConsole<T>(method: "error" | "warn" | "log", action: () => Promise<T>): Promise<{ result: T; logged: string }> {
    const original = console[method];
    const lines: string[] = [];
    console[method] = (...args: unknown[]) => {
        lines.push(args.map((arg) => (arg instanceof Error ? arg.stack : String(arg))).join(" "));
    };
    try {
        const result = await action();
        await new Promise((resolve) => setTimeout(resolve, 20)); // let the server finish logging
        return { result, logged: lines.join("\n") };
    } finally {
        console[method] = original;
    }
}
