/**
 * HTTPS on Node: node:http2's secure server, which speaks HTTP/2 to the clients that offer it in ALPN
 * (browsers, curl) and HTTP/1.1 to the others, on one port. What node:http does for its connections and
 * node:http2 does not for its sessions (closing idle ones, cutting off what is left at shutdown's
 * deadline) is done here.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { createSecureServer, type Http2SecureServer, type IncomingHttpHeaders, type ServerHttp2Session, type ServerHttp2Stream } from "node:http2";
import type { TLSSocket } from "node:tls";
import type { ConnectionLimits } from "../../contract.ts";
import type { TlsOptions } from "../../types.ts";
import { tlsError } from "../listen-error.ts";
import { http1Bounds, http2Options } from "./server-options.ts";

/** The HTTPS server, its bounds set; SecureConnections.useCertificate() gives it its certificate. */
export function secureServer(limits: ConnectionLimits): Http2SecureServer {
    const server = createSecureServer(http2Options(limits));
    // Its HTTP/1.1 connections are node:http's, and node:http reads its bounds from the server object:
    // node:http2 sets only the timeouts there (to node:http's defaults), and no maxHeaderSize or
    // keepAliveTimeout at all (none would apply). The same bounds as the plain server's, then.
    Object.assign(server, http1Bounds(limits));
    return server;
}

/** Where the HTTPS server's requests go: HTTP/1.1 connections' as node:http hands them, HTTP/2 streams as they open. */
export interface SecureHandlers {
    http1(req: IncomingMessage, res: ServerResponse, awaitsContinue: boolean): void;
    http2(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void;
}

/**
 * node:http2 answers HTTP/1.1 connections (allowHTTP1) with node:http's connection listener, which emits
 * "request" on this server. Its first "request" listener also makes node:http2 add a "stream" listener
 * of its own (Node 20's setupCompat) that wraps every HTTP/2 stream in compatibility objects
 * (Http2ServerRequest and Http2ServerResponse) and emits "request" for it too: a cost per stream of a
 * third of what a hello answer takes on the core API. That listener, the only "stream" one once
 * "request" has one, is removed, and HTTP/2 streams are taken on the core API instead. node:http2
 * adds it once only, and no other way (a later "request" listener adds none).
 */
export function serveRequests(server: Http2SecureServer, handlers: SecureHandlers): void {
    const http1 = server as unknown as NodeJS.EventEmitter; // typed for compatibility objects; only node:http's reach it now
    http1.on("request", (req: IncomingMessage, res: ServerResponse) => handlers.http1(req, res, false));
    http1.on("checkContinue", (req: IncomingMessage, res: ServerResponse) => handlers.http1(req, res, true));
    server.removeAllListeners("stream");
    server.on("stream", (stream, headers) => handlers.http2(stream, headers));
}

/** An HTTPS server's certificate and its connections: its HTTP/2 sessions, and the sockets of its HTTP/1.1 connections. */
export class SecureConnections {
    readonly #server: Http2SecureServer;
    readonly #tls: TlsOptions;
    readonly #sessions = new Set<ServerHttp2Session>();
    readonly #http1 = new Set<TLSSocket>();
    readonly #idleTimeout: number;
    #closing = false;

    /** `idleTimeout`: ms a session may stay without an open stream (keepAliveTimeout; 0: no bound). */
    constructor(server: Http2SecureServer, tls: TlsOptions, idleTimeout: number) {
        this.#server = server;
        this.#tls = tls;
        this.#idleTimeout = idleTimeout;
        server.on("session", (session: ServerHttp2Session) => this.#follow(session));
        server.on("secureConnection", (socket: TLSSocket) => {
            if (socket.alpnProtocol === "h2") return; // its session is followed instead
            this.#http1.add(socket);
            socket.once("close", () => this.#http1.delete(socket));
        });
    }

    /**
     * Gives the server its certificate and key, as it starts listening: a pair OpenSSL refuses (they do
     * not match, or do not decode) then fails listen() with one line, as a port in use does, rather than
     * the adapter's construction, so that startHTTPServer releases what it holds.
     */
    useCertificate(): void {
        try {
            this.#server.setSecureContext({ cert: this.#tls.cert, key: this.#tls.key });
        } catch (error) {
            throw tlsError(error);
        }
    }

    /**
     * Shutdown begins: each session is sent GOAWAY (session.close()), so that its client opens no new
     * stream while those in flight finish; the session closes once they have. One that opens from now on
     * (its TLS handshake begun before the server stopped listening) gets its GOAWAY at once. Idle HTTP/1.1
     * connections are closed by Http2SecureServer.close() itself (nodejs/node#51569; so it does in Node
     * 20.20): a release without it leaves them to destroyAll().
     */
    goAway(): void {
        this.#closing = true;
        for (const session of this.#sessions) session.close();
    }

    /** Shutdown's deadline has passed: every session (with its streams) and HTTP/1.1 connection left is dropped. */
    destroyAll(): void {
        for (const session of this.#sessions) session.destroy();
        for (const socket of this.#http1) socket.destroy();
    }

    #follow(session: ServerHttp2Session): void {
        this.#sessions.add(session);
        session.once("close", () => this.#sessions.delete(session));
        if (this.#closing) session.close();
        else if (this.#idleTimeout > 0) closeWhenIdle(session, this.#idleTimeout);
    }
}

/**
 * A session with no stream open for `timeout` ms is sent GOAWAY, as node:http closes an HTTP/1.1
 * connection idle between requests for keepAliveTimeout: browsers keep a connection for as long as the
 * server does, and an idle one costs the server a socket and its TLS state. (node:http2's own
 * setTimeout() would destroy the session, streams in flight included, after as long without a frame.)
 * One timer per session, re-armed when its last stream closes; a stream opened since it was armed
 * keeps it from closing the session.
 */
function closeWhenIdle(session: ServerHttp2Session, timeout: number): void {
    let open = 0;
    const timer = setTimeout(() => {
        if (open === 0) session.close();
    }, timeout).unref();
    session.on("stream", (stream) => {
        open++;
        stream.once("close", () => {
            if (--open === 0) timer.refresh();
        });
    });
    session.once("close", () => clearTimeout(timer));
}
