/**
 * The Deno adapter: `Deno.serve`, Deno's own HTTP server (not its node:http compatibility layer), and
 * what differs on Deno (2.9) from what web/responder.ts shares with Bun.
 */
import cluster from "node:cluster";
import type { AdapterOptions, AnswerHeaders, ServerAdapter } from "../../contract.ts";
import { listenError } from "../listen-error.ts";
import { afterAuthority, type RequestLine } from "./incoming.ts";
import { fileStream, headersInit, WebResponder, type WebRuntime } from "./responder.ts";
import { followWebSocket } from "./web-socket.ts";

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
    /** HTTPS's certificate and key, in PEM. */
    cert?: string;
    key?: string;
    onListen(): void;
    onError(error: unknown): Response;
}
interface DenoServeInfo {
    remoteAddr: { hostname: string };
}
type DenoHandler = (request: Request, info: DenoServeInfo) => Response | Promise<Response>;
declare const Deno: {
    serve(options: DenoServeOptions, handler: DenoHandler): DenoServer;
    upgradeWebSocket(request: Request, options: { protocol?: string; idleTimeout?: number }): { socket: WebSocket; response: Response };
};

/**
 * Deno builds `request.url` as `http://` + the Host header + the target, the Host unchecked (one holding
 * "/" or "?" would move where the target seems to start), or with its own address when the Host is
 * missing or empty. So the target is what follows the Host as sent. An HTTP/2 request has no Host
 * header: its authority (`:authority`, which RFC 9113 §8.3.1 puts in the Host's place) is the one in
 * `request.url`, and is taken from there, as Node's adapter takes it.
 */
const requestLine: RequestLine = {
    host: (request) => request.headers.get("host") ?? authorityOf(request.url),
    target(request, host) {
        const url = request.url;
        if (host) {
            const authority = url.indexOf("//") + 2;
            // The Host as sent, then the target (which starts with "/"): not a Host that is only the start of an absolute-form target's authority.
            if (url.startsWith(host, authority) && url[authority + host.length] === "/") return url.slice(authority + host.length);
        }
        return afterAuthority(url); // Deno's own address, or an absolute-form target
    },
};

/** The authority of a URL Deno built (`https://host:port/…`). */
function authorityOf(url: string): string {
    const start = url.indexOf("//") + 2;
    return url.slice(start, url.indexOf("/", start));
}

/** The Deno runtime; WebSocket messages are bounded at `maxMessageSize`. */
function deno(maxMessageSize: number): WebRuntime {
    return {
        requestLine,
        clientAddress: (_request, info) => (info as DenoServeInfo).remoteAddr.hostname,
        // A plain object: Deno sorts a Headers object's names each time a Response copies one, and takes a plain object faster.
        responseHeaders: (headers: Readonly<AnswerHeaders>) => headersInit(headers),
        fileBody: fileStream,
        upgrade(request, _info, answer) {
            // The protocol goes in as a header: Deno's own check splits the client's list at ", " only,
            // and refuses a protocol of a list written "a,b" (which RFC 6455 allows, and clients send).
            // Deno's own pings (idleTimeout) are off: with a client that had stopped reading, they froze the
            // whole process in a test (Deno 2.9); such a client is cut off by maxEventBuffer instead.
            const { socket, response } = Deno.upgradeWebSocket(request, { idleTimeout: 0 });
            for (const [name, value] of Object.entries(answer.headers)) {
                if (name === "content-type" || name === "content-length") continue;
                for (const each of Array.isArray(value) ? value : [value]) response.headers.append(name, each);
            }
            if (answer.socket.protocol !== "") response.headers.set("sec-websocket-protocol", answer.socket.protocol);
            followWebSocket(socket, answer.socket, maxMessageSize);
            return response;
        },
    };
}

export class DenoHTTPServer implements ServerAdapter {
    readonly #responder: WebResponder;
    readonly #tls: AdapterOptions["tls"];
    #server: DenoServer | undefined;

    constructor(options: AdapterOptions) {
        this.#responder = new WebResponder(options, deno(options.limits.maxMessageSize));
        this.#tls = options.tls;
    }

    async listen(port: number, hostname: string): Promise<number> {
        try {
            this.#server = Deno.serve(
                {
                    port,
                    hostname,
                    reusePort: cluster.isWorker, // the other --workers listen on the same port
                    ...this.#tls, // HTTPS, with HTTP/2 to the clients that offer it (Deno offers both in ALPN itself)
                    onListen: () => {},
                    onError: (error) => this.#responder.serveError(error),
                },
                // Deno cannot close a connection by force: requests still waiting at the shutdown deadline
                // must be answered (503) for its shutdown() to finish.
                (request, info) => this.#responder.respondUnlessCutOff(request, info) as Response | Promise<Response>, // Deno's upgrades return a Response
            );
        } catch (error) {
            throw listenError(error, port, hostname, this.#tls !== null);
        }
        return this.#server.addr.port;
    }

    // shutdown() waits for every request. (Aborting Deno.serve's signal during shutdown() throws inside Deno, BadResource, in 2.9.)
    stop(): Promise<void> {
        return this.#server?.shutdown().catch(() => {}) ?? Promise.resolve();
    }

    cutOff(): void {
        this.#responder.cutOff();
    }
}
