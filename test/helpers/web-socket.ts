import WebSocket from "ws";

export interface TestSocket {
    ws: WebSocket;
    /** Every message so far: text as strings, binary as Uint8Array. */
    messages: (string | Uint8Array)[];
    /** Resolves once `count` messages have arrived in all. */
    waitFor(count: number): Promise<(string | Uint8Array)[]>;
    /** Resolves with the close code and reason once the socket has closed. */
    closed: Promise<{ code: number; reason: string }>;
    /** The headers of the 101. */
    upgradeHeaders: Promise<Record<string, string | string[] | undefined>>;
}

/** A WebSocket client (the `ws` package: the same on Node, Deno and Bun) once open; rejects with the refusal's status if the server answered without upgrading. */
export function openSocket(url: string, options: { protocols?: string[]; headers?: Record<string, string> } = {}): Promise<TestSocket> {
    const ws = new WebSocket(url.replace(/^http/, "ws"), options.protocols ?? [], { headers: options.headers });
    const messages: (string | Uint8Array)[] = [];
    let waiting: { count: number; resolve: () => void } | undefined;
    ws.on("message", (data: Buffer, isBinary: boolean) => {
        messages.push(isBinary ? new Uint8Array(data) : data.toString("utf8"));
        if (waiting && messages.length >= waiting.count) waiting.resolve();
    });
    const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once("close", (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() })));
    const upgradeHeaders = new Promise<Record<string, string | string[] | undefined>>((resolve) => ws.once("upgrade", (response) => resolve(response.headers)));
    return new Promise((resolve, reject) => {
        ws.once("open", () =>
            resolve({
                ws,
                messages,
                closed,
                upgradeHeaders,
                waitFor: (count) => (messages.length >= count ? Promise.resolve(messages) : new Promise((done) => (waiting = { count, resolve: () => done(messages) }))),
            }),
        );
        ws.once("unexpected-response", (_request, response) => {
            let body = "";
            response.setEncoding("utf8");
            response.on("data", (chunk: string) => (body += chunk));
            response.on("end", () => reject(Object.assign(new Error(`HTTP ${response.statusCode}: ${body}`), { status: response.statusCode, headers: response.headers, body })));
        });
        ws.once("error", reject);
    });
}
