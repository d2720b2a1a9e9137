/**
 * A WebSocket of the web platform's kind (Deno's `Deno.upgradeWebSocket` gives one) as a SocketLink,
 * and its events handed to the session. What the runtime does not offer is said where it is made up for.
 */
import type { SocketLink, SocketSession } from "../../contract.ts";

/** Wires a standard WebSocket to a session; messages over `maxMessageSize` bytes close it with 1009. */
export function followWebSocket(socket: WebSocket, session: SocketSession, maxMessageSize: number): void {
    socket.binaryType = "arraybuffer";
    const encoder = new TextEncoder();
    socket.onopen = () => session.open(new WebSocketLink(socket));
    socket.onmessage = (event: MessageEvent) => {
        const data = typeof event.data === "string" ? event.data : new Uint8Array(event.data as ArrayBuffer);
        // Deno takes the whole message before handing it over (it bounds messages at 64 MiB itself), so the bound is checked here.
        const size = typeof data === "string" ? (data.length * 3 <= maxMessageSize ? 0 : encoder.encode(data).byteLength) : data.byteLength;
        if (size > maxMessageSize) return socket.close(1009, "message too big");
        session.message(data);
    };
    socket.onclose = (event: { code: number; reason: string }) => session.gone(event.code, event.reason);
    socket.onerror = () => {}; // "close" follows
}

class WebSocketLink implements SocketLink {
    readonly #socket: WebSocket;

    constructor(socket: WebSocket) {
        this.#socket = socket;
    }

    send(data: string | Uint8Array): void {
        if (this.#socket.readyState === WebSocket.OPEN) this.#socket.send(data);
    }

    buffered(): number {
        return this.#socket.bufferedAmount;
    }

    /** The platform's WebSocket has no drain event: its buffer is looked at every 10 ms until empty. */
    async drained(): Promise<void> {
        while (this.#socket.bufferedAmount > 0 && this.#socket.readyState === WebSocket.OPEN) await new Promise((resolve) => setTimeout(resolve, 10));
    }

    close(code: number, reason: string): void {
        this.#socket.close(code, reason);
    }

    /** The platform's WebSocket cannot drop its connection: it closes as a policy violation, and stops waiting for the client. */
    terminate(): void {
        this.#socket.close(1008, "");
    }

    /** The platform's WebSocket sends no pings of its own making (and Deno's own are off: see deno.ts). */
    ping(onPong: () => void): void {
        onPong();
    }
}
