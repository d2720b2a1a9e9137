/**
 * WebSockets on Bun: `server.upgrade()` and the server's `websocket` handlers (Bun's own uWebSockets
 * implementation, which bounds messages and answers pings itself). One set of handlers serves every
 * socket; each socket carries its session in `ws.data`.
 */
import type { AnswerHeaders, SocketAnswer, SocketLink, SocketSession } from "../../contract.ts";

/** The part of Bun's ServerWebSocket this adapter uses. */
interface BunWebSocket {
    data: BunSocketData;
    send(data: string | Uint8Array): number;
    getBufferedAmount(): number;
    close(code?: number, reason?: string): void;
    terminate(): void;
    ping(): number;
}

interface BunSocketData {
    session: SocketSession;
    link?: BunLink;
}

/** What `Bun.serve` takes as `websocket`. */
export function bunWebSocketHandlers(maxMessageSize: number, perMessageDeflate: boolean) {
    return {
        maxPayloadLength: maxMessageSize,
        perMessageDeflate,
        // vshs pings (heartbeatInterval) and drops a socket that does not answer; Bun's own idle close is off.
        idleTimeout: 0,
        sendPings: false,
        open(ws: BunWebSocket) {
            ws.data.link = new BunLink(ws);
            ws.data.session.open(ws.data.link);
        },
        message(ws: BunWebSocket, message: string | Uint8Array) {
            ws.data.session.message(typeof message === "string" ? message : new Uint8Array(message.buffer, message.byteOffset, message.byteLength));
        },
        close(ws: BunWebSocket, code: number, reason: string) {
            ws.data.session.gone(code, reason);
        },
        drain(ws: BunWebSocket) {
            ws.data.link?.drainedNow();
        },
        pong(ws: BunWebSocket) {
            ws.data.link?.ponged();
        },
    };
}

/** The 101's headers: the answer's (cookies, CORS) and the protocol chosen. */
export function upgradeHeaders(answer: SocketAnswer): Headers {
    const headers = new Headers();
    for (const [name, value] of Object.entries(answer.headers as AnswerHeaders)) {
        if (name === "content-type" || name === "content-length") continue;
        for (const each of Array.isArray(value) ? value : [value]) headers.append(name, each);
    }
    if (answer.socket.protocol !== "") headers.set("sec-websocket-protocol", answer.socket.protocol);
    return headers;
}

class BunLink implements SocketLink {
    readonly #ws: BunWebSocket;
    #drained: { promise: Promise<void>; resolve: () => void } | undefined;
    #onPong: (() => void) | undefined;

    constructor(ws: BunWebSocket) {
        this.#ws = ws;
    }

    send(data: string | Uint8Array): void {
        this.#ws.send(data);
    }

    buffered(): number {
        return this.#ws.getBufferedAmount();
    }

    drained(): Promise<void> {
        if (this.#ws.getBufferedAmount() === 0) return Promise.resolve();
        if (this.#drained === undefined) {
            let resolve!: () => void;
            const promise = new Promise<void>((done) => (resolve = done));
            this.#drained = { promise, resolve };
        }
        return this.#drained.promise;
    }

    /** Bun's `drain` handler, or the socket closed. */
    drainedNow(): void {
        this.#drained?.resolve();
        this.#drained = undefined;
    }

    close(code: number, reason: string): void {
        this.#ws.close(code, reason);
        this.drainedNow();
    }

    terminate(): void {
        this.#ws.terminate();
        this.drainedNow();
    }

    ping(onPong: () => void): void {
        this.#onPong = onPong;
        this.#ws.ping();
    }

    ponged(): void {
        this.#onPong?.();
    }
}
