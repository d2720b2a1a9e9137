/** `server.websocket(path)` of vshs/testing: a WebSocket client on the three runtimes (through `ws`). */
import WebSocket from "ws";

/** A message as a test receives it: a text frame as a string, a binary frame as bytes. */
export type TestMessage = string | Uint8Array;

export interface TestWebSocket extends AsyncIterable<TestMessage> {
    /** The subprotocol the server chose ("" for none). */
    readonly protocol: string;
    /** Sends a string as text, bytes as binary, anything else as JSON text. */
    send(data: unknown): void;
    /** Starts the closing handshake (1000 unless given). */
    close(code?: number, reason?: string): void;
    /** The close code and reason, once the socket has closed (whoever closed it). */
    readonly closed: Promise<{ code: number; reason: string }>;
}

/** The server answered the handshake without upgrading: its status, headers and body. */
export class UpgradeRefused extends Error {
    constructor(
        readonly status: number,
        readonly body: string,
    ) {
        super(`The server answered ${status} instead of upgrading: ${body}`);
        this.name = "UpgradeRefused";
    }
}

/** Opens a WebSocket to `url`; resolves once it is open, rejects with UpgradeRefused if the server answers otherwise. */
export function openWebSocket(url: string, { protocols = [], headers = {} }: { protocols?: string[]; headers?: Record<string, string> } = {}): Promise<TestWebSocket> {
    const ws = new WebSocket(url.replace(/^http/, "ws"), protocols, { headers });
    const unread: TestMessage[] = [];
    let wake: (() => void) | undefined;
    let ended = false;
    ws.on("message", (data: Buffer, isBinary: boolean) => {
        unread.push(isBinary ? new Uint8Array(data) : data.toString("utf8"));
        wake?.();
    });
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
        ws.once("close", (code: number, reason: Buffer) => {
            ended = true;
            wake?.();
            resolve({ code, reason: reason.toString("utf8") });
        }),
    );
    const socket: TestWebSocket = {
        get protocol() {
            return ws.protocol;
        },
        send(data) {
            ws.send(typeof data === "string" || data instanceof Uint8Array ? data : JSON.stringify(data));
        },
        close(code = 1000, reason = "") {
            ws.close(code, reason);
        },
        closed,
        async *[Symbol.asyncIterator]() {
            try {
                for (;;) {
                    const message = unread.shift();
                    if (message !== undefined) yield message;
                    else if (ended) return;
                    else await new Promise<void>((resolve) => (wake = resolve));
                }
            } finally {
                if (!ended) ws.close(1000);
            }
        },
    };
    return new Promise((resolve, reject) => {
        ws.once("open", () => resolve(socket));
        ws.once("unexpected-response", (_request, response) => {
            let body = "";
            response.setEncoding("utf8");
            response.on("data", (chunk: string) => (body += chunk));
            response.on("end", () => reject(new UpgradeRefused(response.statusCode ?? 0, body)));
        });
        ws.once("error", reject);
    });
}
