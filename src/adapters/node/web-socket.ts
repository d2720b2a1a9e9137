/**
 * WebSockets on Node through `ws`, the maintained, Autobahn-tested implementation (framing, masking,
 * fragmentation, UTF-8 checks, the closing handshake): vshs writes no frame itself. The pipeline has
 * checked the handshake and chosen the protocol; `ws` answers 101 and carries the messages.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import type { AnswerHeaders, SocketAnswer, SocketLink } from "../../contract.ts";

export class NodeSockets {
    readonly #server: WebSocketServer;
    /** What each request's 101 carries besides the handshake: the answer's headers (cookies, CORS) and protocol. */
    readonly #answers = new WeakMap<IncomingMessage, SocketAnswer>();

    constructor(maxMessageSize: number, perMessageDeflate: boolean) {
        this.#server = new WebSocketServer({
            noServer: true,
            maxPayload: maxMessageSize,
            perMessageDeflate,
            clientTracking: false,
            handleProtocols: (_offered, req) => this.#answers.get(req)?.socket.protocol || false,
        });
        this.#server.on("headers", (lines: string[], req: IncomingMessage) => {
            const answer = this.#answers.get(req);
            if (answer !== undefined) lines.push(...headerLines(answer.headers));
        });
    }

    /** Completes the handshake on the upgraded connection, then opens the session. */
    accept(req: IncomingMessage, socket: Duplex, head: Buffer, answer: SocketAnswer): void {
        this.#answers.set(req, answer);
        this.#server.handleUpgrade(req, socket, head, (ws) => {
            const session = answer.socket;
            ws.on("message", (data: Buffer, isBinary: boolean) => session.message(isBinary ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : data.toString("utf8")));
            ws.once("close", (code: number, reason: Buffer) => session.gone(code, reason.toString("utf8")));
            ws.on("error", () => {}); // a protocol error closes the socket (1002, 1007, 1009): "close" follows
            session.open(new WsLink(ws, socket));
        });
    }
}

/** The answer's headers as lines of the 101 (ws writes the handshake's own). */
function headerLines(headers: Readonly<AnswerHeaders>): string[] {
    const lines: string[] = [];
    for (const [name, value] of Object.entries(headers)) {
        if (name === "content-type" || name === "content-length") continue;
        for (const each of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${each}`);
    }
    return lines;
}

class WsLink implements SocketLink {
    readonly #ws: WebSocket;
    readonly #socket: Duplex;
    #drained: Promise<void> | undefined;

    constructor(ws: WebSocket, socket: Duplex) {
        this.#ws = ws;
        this.#socket = socket;
    }

    send(data: string | Uint8Array): void {
        this.#ws.send(data, { binary: typeof data !== "string" });
    }

    buffered(): number {
        return this.#ws.bufferedAmount;
    }

    /** Shared by every send waiting at once: one pair of listeners, however many wait. */
    drained(): Promise<void> {
        if (this.#ws.bufferedAmount === 0 || this.#socket.destroyed) return Promise.resolve();
        return (this.#drained ??= new Promise<void>((resolve) => {
            const done = () => {
                this.#socket.off("drain", done);
                this.#socket.off("close", done);
                this.#drained = undefined;
                resolve();
            };
            this.#socket.on("drain", done);
            this.#socket.on("close", done);
        }));
    }

    close(code: number, reason: string): void {
        this.#ws.close(code, reason);
    }

    terminate(): void {
        this.#ws.terminate();
    }

    ping(onPong: () => void): void {
        this.#ws.once("pong", onPong);
        this.#ws.ping();
    }
}
