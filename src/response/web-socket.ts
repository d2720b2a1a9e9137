import { channelEvent, channelReset, clientGone, follow, socketMessage, startSocket } from "../symbols.ts";
import { quiet, quietRejection } from "./quiet.ts";
import type { ErrorLogger, SocketLink } from "../contract.ts";
import { socketFrame, type ChannelFollower, type FollowedEvent, type Followable } from "./channel-follower.ts";
import { EndSignal } from "./end-signal.ts";

/** A message as a WebSocket route receives it: a text frame as a string, a binary frame as bytes. */
export type SocketMessage = string | Uint8Array;

export type WebSocketCallback = (self: WebSocketResponse) => unknown;

export interface WebSocketResponseOptions {
    /** The subprotocols this route speaks, preferred first: the first the client also offers is chosen (`self.protocol`). */
    protocols?: readonly string[];
}

/** How the adapter starts a socket once the handshake is done. */
export interface SocketStart {
    log: ErrorLogger;
    /** Bytes sent but not yet taken by the connection before the client is cut off. */
    maxBuffer: number;
    /** The subprotocol chosen ("" for none). */
    protocol: string;
    /** The `lastEventId` query parameter of the request, for a channel to resume after. */
    lastEventId: string | undefined;
}

/**
 * Bytes a socket may hold unsent before `await send()` waits for it to drain: as Node's streams do
 * (16 KiB). Waiting for an empty buffer instead would cost a round of the event loop per message where
 * the runtime sends asynchronously (Deno), and gain nothing.
 */
const roomyBuffer = 16 * 1024;

/** Close codes a server may send (RFC 6455 §7.4.1 and IANA's registry): 1000–1003, 1007–1009, 1011–1014, and the 3000–4999 of applications. */
function sendableCode(code: number): boolean {
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1009) || (code >= 1011 && code <= 1014) || (code >= 3000 && code <= 4999);
}

/**
 * Return one from a GET handler to answer with a WebSocket: `return new WebSocketResponse(async (self) => {
 * for await (const message of self) await self.send(message) })`. The two-way sibling of SSEResponse:
 * `send()` a string (a text frame), bytes (a binary frame) or anything else (as JSON text); receive with
 * `self.onMessage = (message) => …` or `for await (const message of self)`.
 */
export class WebSocketResponse implements AsyncIterable<SocketMessage>, ChannelFollower {
    /** Called with each message; while set, messages do not wait for `for await`. */
    onMessage: ((message: SocketMessage) => unknown) | undefined = undefined;
    /** Called once when the socket closes, whoever closed it, with the close code and reason. */
    onConnectionClosed: ((code: number, reason: string) => void) | undefined = undefined;
    readonly protocols: readonly string[];

    readonly #callback: WebSocketCallback;
    readonly #end = new EndSignal();
    #link: SocketLink | undefined;
    #log: ErrorLogger = console.error;
    #maxBuffer = Infinity;
    #protocol = "";
    #lastEventId: string | undefined;
    /** Messages for `for await`, and the iteration waiting for the next one. */
    readonly #unread: SocketMessage[] = [];
    #unreadBytes = 0;
    #wake: (() => void) | undefined;

    constructor(callback: WebSocketCallback, { protocols = [] }: WebSocketResponseOptions = {}) {
        if (typeof callback !== "function") throw new TypeError("WebSocketResponse needs a callback function");
        if (!Array.isArray(protocols) || protocols.some((each) => typeof each !== "string" || !/^[!#$%&'*+\-.^_`|~\w]+$/.test(each))) {
            throw new TypeError("The protocols of a WebSocketResponse are a list of tokens, such as [\"chat.v1\"]");
        }
        this.#callback = callback;
        this.protocols = Object.freeze([...protocols]);
    }

    /** Aborts when the socket closes. */
    get signal(): AbortSignal {
        return this.#end.signal;
    }

    get closed(): boolean {
        return this.#end.ended;
    }

    /** The subprotocol chosen from the client's list ("" if none). */
    get protocol(): string {
        return this.#protocol;
    }

    /** The id of the last channel event the client saw: the `lastEventId` query parameter of its URL (`/feed?lastEventId=…`). */
    get lastEventId(): string | undefined {
        return this.#lastEventId;
    }

    /**
     * Follows a channel: its events arrive as text frames `{"id","event","data"}` (the events missed
     * after `lastEventId` first, or a `vshs-reset` event if they are no longer kept), until the socket closes.
     */
    subscribe(channel: Followable): Promise<void> {
        if (this.closed) return quietRejection(new Error("The WebSocket is closed"));
        return quiet(channel[follow](this));
    }

    /** The messages as JSON values: `for await (const value of self.json())`; a message that is not JSON closes the socket with 1007. */
    async *json(): AsyncGenerator<unknown> {
        for await (const message of this) {
            let value: unknown;
            try {
                value = JSON.parse(typeof message === "string" ? message : new TextDecoder("utf-8", { fatal: true }).decode(message));
            } catch {
                this.close(1007, "a message was not JSON");
                return;
            }
            yield value;
        }
    }

    [channelEvent](event: FollowedEvent): void {
        void this.send(socketFrame(event));
    }

    [channelReset](id: number, data: { channel: string; lastEventId: string }): void {
        void this.send(`{"id":"${id}","event":"vshs-reset","data":${JSON.stringify(data)}}`);
    }

    /**
     * Sends one message. Resolves once it is handed to the connection (waiting while the connection's
     * buffer is full); rejects once the socket is closed. A rejection nobody awaits is ignored.
     */
    send(data: unknown): Promise<void> {
        const link = this.#link;
        if (this.closed || link === undefined) return quietRejection(new Error("The WebSocket is closed"));
        let payload: string | Uint8Array;
        try {
            payload = toPayload(data);
        } catch (error) {
            return quietRejection(error);
        }
        link.send(payload);
        const buffered = link.buffered();
        if (buffered > this.#maxBuffer) {
            this.#log(`A WebSocket was cut off: its client left more than ${this.#maxBuffer} bytes unread (maxEventBuffer)`);
            this.#finish(1006, "");
            link.terminate();
            return quietRejection(new Error(`The client is not reading: more than ${this.#maxBuffer} bytes wait for it, so the socket was cut off`));
        }
        if (buffered <= roomyBuffer) return Promise.resolve();
        return quiet(
            link.drained().then(() => {
                if (this.closed) throw new Error("The WebSocket is closed");
            }),
        );
    }

    /** Closes the socket: `code` 1000 (normal) unless given (1000–1003, 1007–1009, 1011–1014, or 3000–4999 for your own), with a reason of at most 123 bytes. */
    close(code = 1000, reason = ""): void {
        if (!Number.isInteger(code) || !sendableCode(code)) throw new RangeError(`A WebSocket cannot be closed with code ${code}: use 1000, or 3000–4999 for your own`);
        if (new TextEncoder().encode(reason).byteLength > 123) throw new RangeError("A WebSocket close reason is at most 123 bytes");
        if (this.closed) return;
        this.#finish(code, reason);
        this.#link?.close(code, reason);
    }

    async *[Symbol.asyncIterator](): AsyncIterator<SocketMessage> {
        for (;;) {
            const next = this.#unread.shift();
            if (next !== undefined) {
                this.#unreadBytes -= typeof next === "string" ? next.length : next.byteLength;
                yield next;
            } else if (this.closed) {
                return;
            } else {
                await new Promise<void>((resolve) => (this.#wake = resolve));
            }
        }
    }

    /** Called by the adapter once the handshake is done. */
    [startSocket](link: SocketLink, start: SocketStart): void {
        this.#link = link;
        this.#log = start.log;
        this.#maxBuffer = start.maxBuffer;
        this.#protocol = start.protocol;
        this.#lastEventId = start.lastEventId;
        Promise.resolve()
            .then(() => this.closed || this.#callback(this))
            .catch((error: unknown) => {
                if (this.closed) return; // the usual end of a loop that sent after the client left
                this.#log("A WebSocket callback threw; the socket is closed (1011)", error);
                this.close(1011, "");
            });
    }

    /** Called by the adapter with each message. Unread messages are bounded like unread sends. */
    [socketMessage](message: SocketMessage): void {
        if (this.closed) return;
        if (this.onMessage !== undefined) {
            try {
                const result = this.onMessage(message);
                if (result instanceof Promise) result.catch((error: unknown) => this.#failed(error));
            } catch (error) {
                this.#failed(error);
            }
            return;
        }
        this.#unread.push(message);
        this.#unreadBytes += typeof message === "string" ? message.length : message.byteLength;
        if (this.#unreadBytes > this.#maxBuffer) {
            this.#log(`A WebSocket was closed (1008): more than ${this.#maxBuffer} bytes of its messages were left unread by the route`);
            this.close(1008, "messages not read");
        }
        this.#wake?.();
    }

    /** Called by the adapter when the socket has closed, by the client or the connection. */
    [clientGone](code = 1005, reason = ""): void {
        if (!this.closed) this.#finish(code, reason);
    }

    #failed(error: unknown): void {
        if (this.closed) return;
        this.#log("A WebSocket onMessage threw; the socket is closed (1011)", error);
        this.close(1011, "");
    }

    #finish(code: number, reason: string): void {
        this.#end.end();
        this.#wake?.();
        try {
            this.onConnectionClosed?.(code, reason);
        } catch (error) {
            this.#log("onConnectionClosed threw", error);
        }
    }
}

export function isWebSocketResponse(value: unknown): value is WebSocketResponse {
    return value instanceof WebSocketResponse || (typeof value === "object" && value !== null && typeof (value as Record<symbol, unknown>)[startSocket] === "function");
}

/** A string as text, bytes as binary, anything else as JSON text. */
function toPayload(data: unknown): string | Uint8Array {
    if (typeof data === "string" || data instanceof Uint8Array) return data;
    if (data instanceof ArrayBuffer) return new Uint8Array(data);
    if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const json = JSON.stringify(data);
    if (json === undefined) throw new TypeError(`A WebSocket cannot send ${typeof data}`);
    return json;
}
