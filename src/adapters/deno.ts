/**
 * The Deno adapter: `Deno.serve`, Deno's own HTTP server (not its node:http compatibility layer).
 */
import cluster from "node:cluster";
import { listenError, type AdapterOptions, type ServerAdapter } from "./adapter.ts";
import { afterAuthority, WebResponder, type RequestLine } from "./web.ts";

/** The part of Deno's API this adapter uses (the project is type-checked without Deno's types). */
interface DenoServer {
    addr: { port: number };
    shutdown(): Promise<void>;
}
interface DenoServeOptions {
    port: number;
    hostname: string;
    /** SO_REUSEPORT: several processes listen on the port and the kernel spreads connections among them. */
    reusePort: boolean;
    onListen(): void;
    onError(error: unknown): Response;
}
interface DenoServeInfo {
    remoteAddr: { hostname: string };
}
type DenoHandler = (request: Request, info: DenoServeInfo) => Response | Promise<Response>;
declare const Deno: { serve(options: DenoServeOptions, handler: DenoHandler): DenoServer };

export class DenoHTTPServer implements ServerAdapter {
    readonly #responder: WebResponder;
    readonly #options: AdapterOptions;
    #server: DenoServer | undefined;
    #closed: Promise<void> | undefined;

    constructor(options: AdapterOptions) {
        this.#options = options;
        this.#responder = new WebResponder({ ...options, clientAddress: (_request, info) => (info as DenoServeInfo).remoteAddr.hostname, requestLine: denoRequestLine, cutOffPending: true, prebuildsHeaders: false });
    }

    async listen(port: number, hostname: string): Promise<number> {
        try {
            this.#server = Deno.serve(
                {
                    port,
                    hostname,
                    reusePort: cluster.isWorker, // the other --workers listen on the same port
                    onListen: () => {},
                    onError: (error) => this.#responder.serveError(error),
                },
                (request, info) => this.#responder.respond(request, info),
            );
        } catch (error) {
            throw listenError(error, port, hostname);
        }
        return this.#server.addr.port;
    }

    close(): Promise<void> {
        const server = this.#server;
        // Deno's shutdown() waits for every request; past the deadline, those left are answered 503 or cut.
        // (Aborting Deno.serve's signal during shutdown() throws inside Deno, BadResource, in 2.9.)
        this.#closed ??= server === undefined ? Promise.resolve() : this.#responder.shutDown(() => server.shutdown(), () => {}, this.#options.limits.shutdownTimeout);
        return this.#closed;
    }
}

/**
 * Deno 2.9 builds `request.url` as `http://` + the Host header + the target, the Host unchecked (one
 * holding "/" or "?" would move where the target seems to start), or with its own address when the
 * Host is missing or empty. So the target is what follows the Host as sent.
 */
const denoRequestLine: RequestLine = {
    host: (request) => request.headers.get("host") ?? undefined,
    target(request, host) {
        const url = request.url;
        if (host) {
            const authority = url.indexOf("//") + 2;
            if (url.startsWith(host, authority)) return url.slice(authority + host.length);
        }
        return afterAuthority(url); // Deno's own address, or an absolute-form target
    },
};
