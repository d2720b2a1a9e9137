/**
 * The Bun adapter: `Bun.serve`, Bun's own HTTP server (not its node:http compatibility layer), and what
 * differs on Bun (1.4) from what web/responder.ts shares with Deno.
 */
import cluster from "node:cluster";
import type { AdapterOptions, AnswerHeaders, ConnectionLimits, PromisePeek, ServerAdapter } from "../../contract.ts";
import { notFulfilled } from "../../symbols.ts";
import { listenError } from "../listen-error.ts";
import { afterAuthority, type RequestLine } from "./incoming.ts";
import { headersInit, WebResponder, type ResponseHeaders, type WebRuntime } from "./responder.ts";
import { bunWebSocketHandlers, upgradeHeaders } from "./bun-socket.ts";

/** The part of Bun's API this adapter uses (the project is type-checked without Bun's types). */
interface BunServer {
    port: number;
    stop(closeActiveConnections?: boolean): Promise<void>;
    requestIP(request: Request): { address: string } | null;
    timeout(request: Request, seconds: number): void;
    upgrade(request: Request, options: { headers: Headers; data: unknown }): boolean;
}
interface BunServeOptions {
    port: number;
    hostname: string;
    /** SO_REUSEPORT: several processes listen on the port and the kernel spreads connections among them. */
    reusePort: boolean;
    /** Seconds (at most 255; 0: none) a connection may stay silent, while idle or while its handler runs. */
    idleTimeout: number;
    /** HTTPS. */
    tls?: { cert: string; key: string };
    /** With `tls`: HTTP/2 for clients that offer it in ALPN, HTTP/1.1 for the others (Bun 1.4 and later). */
    http2?: boolean;
    fetch(request: Request, server: BunServer): Response | undefined | Promise<Response | undefined>;
    error(error: unknown): Response;
    websocket: ReturnType<typeof bunWebSocketHandlers>;
}
interface BunFile extends Blob {
    exists(): Promise<boolean>;
}
interface BunPeek {
    (promise: Promise<unknown>): unknown;
    status(promise: Promise<unknown>): "pending" | "fulfilled" | "rejected";
}
declare const Bun: { serve(options: BunServeOptions): BunServer; file(path: string): BunFile; peek: BunPeek };

/** An `async` handler that returned without awaiting has fulfilled already: Bun.peek reads its value without a microtask. */
export const peekFulfilled: PromisePeek = (promise) => (Bun.peek.status(promise) === "fulfilled" ? Bun.peek(promise) : notFulfilled);

/**
 * Bun builds `request.url` from a Host it has checked (a missing one it answers 400 itself); for a
 * Host it finds invalid, `request.url` is the target alone. The Host is then read as sent, for the
 * pipeline to refuse; otherwise it is taken from the URL, which spares building the Headers object.
 */
const requestLine: RequestLine = {
    host(request) {
        const url = request.url;
        if (!url.startsWith("http")) return request.headers.get("host") ?? undefined;
        const authority = url.indexOf("//") + 2;
        return url.slice(authority, url.indexOf("/", authority));
    },
    target: (request) => afterAuthority(request.url),
};

// Bun makes a Response from a Headers object faster than from a plain object (bench/README.md): one
// Headers object is built per headers object the pipeline reuses, and kept as long as that one lives.
const prebuilt = new WeakMap<Readonly<AnswerHeaders>, Headers>();
function responseHeaders(headers: Readonly<AnswerHeaders>, reused: boolean): ResponseHeaders {
    if (!reused) return headersInit(headers);
    let built = prebuilt.get(headers);
    if (built === undefined) prebuilt.set(headers, (built = new Headers(headers as Record<string, string>)));
    return built;
}

/** A slice of a Bun.file: Bun sends it with its Content-Length (a stream body would go chunked). */
async function fileBody(path: string, start: number, length: number): Promise<Blob> {
    const file = Bun.file(path);
    if (!(await file.exists())) throw Object.assign(new Error(`${path} is gone`), { code: "ENOENT" });
    return file.slice(start, start + length);
}

export class BunHTTPServer implements ServerAdapter {
    readonly #responder: WebResponder;
    readonly #limits: ConnectionLimits;
    readonly #perMessageDeflate: boolean;
    readonly #tls: AdapterOptions["tls"];
    #server: BunServer | undefined;

    constructor(options: AdapterOptions) {
        this.#limits = options.limits;
        this.#perMessageDeflate = options.perMessageDeflate;
        this.#tls = options.tls;
        this.#responder = new WebResponder(options, {
            requestLine,
            clientAddress: (request, server) => (server as BunServer).requestIP(request)?.address ?? "",
            responseHeaders,
            fileBody,
            // Bun closes connections idle for 10 s; some versions counted a quiet event stream as idle.
            onEventStream: (request) => this.#server?.timeout(request, 0),
            upgrade(request, server, answer) {
                if ((server as BunServer).upgrade(request, { headers: upgradeHeaders(answer), data: { session: answer.socket } })) return undefined;
                answer.socket.gone(1006, "");
                return new Response("The WebSocket handshake failed", { status: 400, headers: { "content-type": "text/plain; charset=utf-8" } });
            },
        } satisfies WebRuntime);
    }

    async listen(port: number, hostname: string): Promise<number> {
        try {
            this.#server = Bun.serve({
                port,
                hostname,
                reusePort: cluster.isWorker, // the other --workers listen on the same port
                idleTimeout: idleSeconds(this.#limits),
                // HTTPS: HTTP/2 to clients that offer it, as on Node and Deno (without `http2`, Bun 1.4 speaks
                // HTTP/1.1 only). WebSockets stay on HTTP/1.1 connections: Bun's upgrade() refuses an HTTP/2 request.
                ...(this.#tls === null ? {} : { tls: { cert: this.#tls.cert, key: this.#tls.key }, http2: true }),
                // No 503 for requests still waiting at the shutdown deadline: stop(true) closes their connections.
                fetch: (request, server) => this.#responder.respond(request, server),
                error: (error) => this.#responder.serveError(error),
                websocket: bunWebSocketHandlers(this.#limits.maxMessageSize, this.#perMessageDeflate),
            });
        } catch (error) {
            throw listenError(error, port, hostname, this.#tls !== null);
        }
        return this.#server.port;
    }

    stop(): Promise<void> {
        return this.#server?.stop(false).catch(() => {}) ?? Promise.resolve();
    }

    cutOff(): void {
        this.#responder.cutOff();
        void this.#server?.stop(true);
    }
}

/**
 * Bun has one idle timeout where node:http has several, and it also cuts a handler that takes longer:
 * it is set to the longest of them, so handlerTimeout answers 503 on Bun too (Bun's default is 10 s).
 */
function idleSeconds({ handlerTimeout, bodyTimeout, keepAliveTimeout }: ConnectionLimits): number {
    if (handlerTimeout === 0) return 0;
    return Math.min(255, Math.ceil(Math.max(handlerTimeout, bodyTimeout, keepAliveTimeout) / 1000) + 1);
}
