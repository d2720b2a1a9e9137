/**
 * The Node.js adapter: node:http's server running the pipeline, or with `tls` node:http2's secure server
 * (secure-server.ts), whose HTTP/1.1 connections are node:http's too and whose HTTP/2 streams h2-requests.ts
 * takes. It turns an IncomingMessage into an `Incoming` (incoming.ts) and writes the pipeline's `Answer`
 * back (write-answer.ts).
 */
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { Http2SecureServer } from "node:http2";
import type { Socket } from "node:net";
import { timeRequest } from "../../access-log.ts";
import { listenError } from "../listen-error.ts";
import type { AccessLogSink, AdapterOptions, Answer, AnswerSource, ConnectionLimits, ServerAdapter } from "../../contract.ts";
import { H2Requests } from "./h2-requests.ts";
import { H2AnswerWriter } from "./h2-write-answer.ts";
import { NodeIncoming } from "./incoming.ts";
import { SecureConnections, secureServer, serveRequests } from "./secure-server.ts";
import { http1Bounds } from "./server-options.ts";
import { AnswerWriter, type WriterOptions } from "./write-answer.ts";
import { NodeSockets } from "./web-socket.ts";
import { unusedConnections } from "./unused-connections.ts";

export class NodeServer implements ServerAdapter {
    readonly #server: http.Server | Http2SecureServer;
    /** An HTTPS server's sessions and connections, which node:http2 leaves to its user; null for plain HTTP. */
    readonly #secure: SecureConnections | null;
    readonly #answers: AnswerSource;
    readonly #accessLog: AccessLogSink | null;
    readonly #maxBodySize: number;
    readonly #trustProxy: number;
    readonly #writer: AnswerWriter;
    readonly #sockets: NodeSockets;
    /**
     * The same server without an upgrade listener, for the connections of upgrade requests that carry a
     * body (curl --http2 sends `Upgrade: h2c` with its POST): node:http hands such a request to the
     * upgrade listener with its body unparsed, so it is handed back, as sent, to a parser that reads it.
     */
    readonly #plain: http.Server;
    /** The connection and first bytes of each upgrade request, for the socket answer to take over; and its access-log entry, which its response no longer closes then. */
    readonly #upgrades = new WeakMap<IncomingMessage, { socket: Socket; head: Buffer; logged?: (status: number) => void }>();
    #closing = false;
    /** Closes the plain servers' connections that have not sent a request yet (see unused-connections.ts). */
    readonly #closeUnused: (() => void)[] = [];

    constructor(options: AdapterOptions) {
        const { answers, logError, accessLog, limits, trustProxy, perMessageDeflate, tls } = options;
        this.#answers = answers;
        this.#trustProxy = trustProxy;
        this.#accessLog = accessLog;
        this.#maxBodySize = limits.maxBodySize;
        const writerOptions: WriterOptions = { logError, failureMessage: (error) => answers.failureMessage(error), closing: () => this.#closing };
        this.#writer = new AnswerWriter(writerOptions);
        if (tls === null) {
            this.#server = this.#httpServer(limits);
            this.#secure = null;
        } else {
            const server = this.#secureServer(options, writerOptions);
            this.#server = server;
            this.#secure = new SecureConnections(server, tls, limits.keepAliveTimeout);
        }
        this.#plain = this.#httpServer(limits);
        this.#sockets = new NodeSockets(limits.maxMessageSize, perMessageDeflate);
        // Fired by the HTTPS server too, for its HTTP/1.1 connections (an HTTP/2 request cannot ask to upgrade).
        this.#server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => this.#upgrade(req, socket, head));
    }

    listen(port: number, hostname: string): Promise<number> {
        return new Promise((resolve, reject) => {
            this.#secure?.useCertificate(); // a certificate refused throws here: listen() rejects
            const onError = (error: Error) => reject(listenError(error, port, hostname));
            this.#server.once("error", onError);
            this.#server.listen(port, hostname, () => {
                this.#server.off("error", onError);
                const address = this.#server.address();
                resolve(typeof address === "object" && address !== null ? address.port : port);
            });
        });
    }

    stop(): Promise<void> {
        this.#closing = true;
        const stopped = new Promise<void>((resolve) => this.#server.close(() => resolve()));
        if (this.#secure === null) (this.#server as http.Server).closeIdleConnections();
        else this.#secure.goAway();
        this.#plain.closeIdleConnections();
        for (const close of this.#closeUnused) close();
        return stopped;
    }

    cutOff(): void {
        if (this.#secure === null) (this.#server as http.Server).closeAllConnections();
        else this.#secure.destroyAll();
        this.#plain.closeAllConnections();
    }

    #httpServer(limits: ConnectionLimits): http.Server {
        const server = http.createServer(http1Bounds(limits), (req, res) => this.#handle(req, res, false));
        // Handled like any request: the 100 goes out when the pipeline first reads the body, so a body it
        // refuses unread (too large, no route) is never asked for.
        server.on("checkContinue", (req: IncomingMessage, res: ServerResponse) => this.#handle(req, res, true));
        this.#closeUnused.push(unusedConnections(server));
        return server;
    }

    /** HTTPS: HTTP/2 streams to H2Requests, requests of HTTP/1.1 connections as on the plain server. */
    #secureServer({ answers, accessLog, limits, trustProxy }: AdapterOptions, writerOptions: WriterOptions): Http2SecureServer {
        const server = secureServer(limits);
        const streams = new H2Requests({ answers, accessLog, writer: new H2AnswerWriter(writerOptions), maxBodySize: limits.maxBodySize, trustProxy });
        serveRequests(server, {
            http1: (req, res, awaitsContinue) => this.#handle(req, res, awaitsContinue),
            http2: (stream, headers) => streams.handle(stream, headers),
        });
        return server;
    }

    /**
     * A request asking to upgrade its connection goes through the pipeline like any other (routes,
     * middleware, guards): given a ServerResponse on its connection, a refusal is an ordinary answer,
     * after which the connection closes; a WebSocket route's answer hands the connection to `ws`.
     */
    #upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
        if ((req.headers["content-length"] ?? "0") !== "0" || req.headers["transfer-encoding"] !== undefined) {
            socket.unshift(head);
            socket.unshift(Buffer.from(requestHead(req), "latin1"));
            this.#plain.emit("connection", socket);
            return;
        }
        const res = new http.ServerResponse(req);
        res.assignSocket(socket);
        res.shouldKeepAlive = false;
        res.once("finish", () => socket.end());
        this.#upgrades.set(req, { socket, head });
        this.#handle(req, res, false);
    }

    #handle(req: IncomingMessage, res: ServerResponse, awaitsContinue: boolean): void {
        if (this.#accessLog !== null) {
            const ended = timeRequest(this.#accessLog, req.method ?? "GET", req.url ?? "/");
            res.once("close", () => ended(res.statusCode));
            const upgrade = this.#upgrades.get(req);
            if (upgrade !== undefined) upgrade.logged = ended;
        }
        const incoming = new NodeIncoming(req, res, this.#maxBodySize, awaitsContinue, this.#trustProxy);
        this.#answers.answer(incoming, (answer) => this.#write(req, res, incoming, answer));
    }

    #write(req: IncomingMessage, res: ServerResponse, incoming: NodeIncoming, answer: Answer): void {
        if (answer.kind !== "socket") return this.#writer.write(req, res, incoming, answer);
        const upgrade = this.#upgrades.get(req);
        if (upgrade === undefined || upgrade.socket.destroyed) return answer.socket.gone(1006, "");
        try {
            res.detachSocket(upgrade.socket);
            upgrade.logged?.(101);
            this.#sockets.accept(req, upgrade.socket, upgrade.head, answer);
        } catch (error) {
            // Nobody else holds the connection now: it must not stay open, and the route learns it is gone.
            upgrade.socket.destroy();
            answer.socket.gone(1006, "");
            throw error;
        }
    }
}

/** A request's line and headers as the client sent them (node:http keeps the raw header lines). */
function requestHead(req: IncomingMessage): string {
    let head = `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`;
    for (let index = 0; index < req.rawHeaders.length; index += 2) head += `${req.rawHeaders[index]}: ${req.rawHeaders[index + 1]}\r\n`;
    return head + "\r\n";
}
