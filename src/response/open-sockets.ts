import type { ErrorLogger, SocketLink, SocketSession } from "../contract.ts";
import type { Handler } from "../types.ts";
import { clientGone, socketMessage, startSocket } from "../symbols.ts";
import type { WebSocketResponse } from "./web-socket.ts";

export interface SocketSettings {
    /** Ms between pings; a socket whose pong has not come by the next ping is dropped. 0: none. */
    heartbeatInterval: number;
    /** Bytes sent and not yet taken by the connection before a client is cut off. */
    maxEventBuffer: number;
    log: ErrorLogger;
}

/** What is known of an open socket: the handler that returned it, its link, and whether its last ping was answered. */
interface OpenSocket {
    handler: Handler;
    link: SocketLink;
    answered: boolean;
}

/**
 * The WebSockets a server holds open, with the handler that returned each: shutdown closes them all
 * with 1001 (going away), a watch-mode reload those of a replaced handler with 1012 (service restart),
 * so none is left running old code; one timer pings them all and drops those that stopped answering.
 */
export class OpenSockets {
    readonly #sockets = new Map<WebSocketResponse, OpenSocket>();
    readonly #settings: SocketSettings;
    #ticker: ReturnType<typeof setInterval> | undefined;
    #closing = false;
    #isStale: (handler: Handler) => boolean = () => false;

    constructor(settings: SocketSettings) {
        this.#settings = settings;
    }

    get size(): number {
        return this.#sockets.size;
    }

    /** The session an adapter opens for `socket`, returned by `handler`, answering with `protocol`; `lastEventId` from the request's URL. */
    session(socket: WebSocketResponse, handler: Handler, protocol: string, lastEventId: string | undefined): SocketSession {
        return {
            protocol,
            open: (link) => this.#open(socket, handler, link, protocol, lastEventId),
            message: (data) => socket[socketMessage](data),
            gone: (code, reason) => {
                this.#forget(socket);
                socket[clientGone](code, reason);
            },
        };
    }

    /** Closes every socket with 1001, and those opened from now on (shutdown). */
    closeAll(): void {
        this.#closing = true;
        this.#closeWhere(() => true, 1001, "the server is going away");
    }

    /** Closes with 1012 the sockets whose handler is stale now, and any a stale handler opens later (watch mode). */
    closeStale(isStale: (handler: Handler) => boolean): void {
        this.#isStale = isStale;
        this.#closeWhere(isStale, 1012, "the route changed");
    }

    #open(socket: WebSocketResponse, handler: Handler, link: SocketLink, protocol: string, lastEventId: string | undefined): void {
        this.#sockets.set(socket, { handler, link, answered: true });
        socket.signal.addEventListener("abort", () => this.#forget(socket), { once: true });
        if (this.#ticker === undefined && this.#settings.heartbeatInterval > 0) this.#startTicker();
        const { log, maxEventBuffer } = this.#settings;
        socket[startSocket](link, { log, maxBuffer: maxEventBuffer, protocol, lastEventId });
        if (this.#closing) socket.close(1001, "the server is going away");
        else if (this.#isStale(handler)) socket.close(1012, "the route changed");
    }

    #forget(socket: WebSocketResponse): void {
        this.#sockets.delete(socket);
        if (this.#sockets.size === 0) this.#ticker = void clearInterval(this.#ticker);
    }

    #closeWhere(close: (handler: Handler) => boolean, code: number, reason: string): void {
        for (const [socket, { handler }] of this.#sockets) if (close(handler)) socket.close(code, reason);
    }

    #startTicker(): void {
        this.#ticker = setInterval(() => {
            for (const [socket, open] of this.#sockets) {
                if (!open.answered) {
                    this.#settings.log(`A WebSocket was dropped: its client did not answer a ping within ${this.#settings.heartbeatInterval} ms`);
                    socket[clientGone](1006, "");
                    open.link.terminate();
                    continue;
                }
                open.answered = false;
                open.link.ping(() => (open.answered = true));
            }
        }, this.#settings.heartbeatInterval);
        this.#ticker.unref?.();
    }
}
