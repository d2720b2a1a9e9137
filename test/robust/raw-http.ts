/**
 * A raw HTTP/1.1 client for the robustness suite: it writes bytes exactly as given (no normalisation of
 * the target, the headers or the body framing) and reads one answer, with a deadline, so that a server
 * that hangs fails the test instead of blocking it.
 */
import { connect } from "node:net";

export interface RawReply {
    status: number;
    statusLine: string;
    /** Lower-case names; a repeated header keeps its last value. */
    headers: Record<string, string>;
    /** The body with the chunked framing removed. */
    body: Buffer;
}

/**
 * One exchange over a fresh socket. Each part is written separately (so a chunked body's chunks leave as
 * separate writes). Resolves as soon as one whole answer has arrived (by Content-Length, chunked framing,
 * or the connection's end), whether or not the server then keeps the connection open. Rejects when no
 * whole answer has arrived within `timeoutMs`, or when the connection ends before one has.
 */
export function exchange(port: number, parts: readonly (string | Uint8Array)[], timeoutMs = 5000): Promise<RawReply> {
    return new Promise((resolve, reject) => {
        const socket = connect(port, "127.0.0.1");
        let received = Buffer.alloc(0);
        let settled = false;
        const finish = (error: Error | null, reply?: RawReply) => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            socket.destroy();
            if (error) reject(error);
            else resolve(reply!);
        };
        const timer = setTimeout(() => finish(new Error(`No answer within ${timeoutMs} ms (a hang); received so far: ${JSON.stringify(received.toString("latin1").slice(0, 300))}`)), timeoutMs);
        socket.on("data", (chunk: Buffer) => {
            received = Buffer.concat([received, chunk]);
            const reply = parseReply(received, false);
            if (reply) finish(null, reply);
        });
        const atEnd = (cause: string) => {
            const reply = parseReply(received, true);
            if (reply) finish(null, reply);
            else finish(new Error(`The connection ended (${cause}) without a whole answer; received: ${JSON.stringify(received.toString("latin1").slice(0, 300))}`));
        };
        socket.on("end", () => atEnd("end"));
        socket.on("close", () => atEnd("close"));
        // EPIPE or ECONNRESET while still writing: the server may have answered early (413) and closed.
        socket.on("error", (error) => atEnd(error.message));
        socket.on("connect", () => {
            for (const part of parts) {
                if (socket.destroyed) break;
                socket.write(typeof part === "string" ? Buffer.from(part, "latin1") : part);
            }
        });
    });
}

/** A request head (request line and headers, each header a [name, value] pair) ending with the blank line. */
export function requestHead(requestLine: string, headers: readonly (readonly [string, string])[]): string {
    return requestLine + "\r\n" + headers.map(([name, value]) => `${name}: ${value}\r\n`).join("") + "\r\n";
}

/** Chunked transfer-coding of `body`, cut where `sizes` says (repeated as needed), ending with the last chunk. */
export function chunked(body: Uint8Array, sizes: readonly number[]): Uint8Array[] {
    const parts: Uint8Array[] = [];
    let offset = 0;
    for (let i = 0; offset < body.length; i++) {
        const size = Math.max(1, sizes[i % sizes.length] ?? body.length);
        const chunk = body.subarray(offset, offset + size);
        offset += chunk.length;
        parts.push(Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`, "latin1"), chunk, Buffer.from("\r\n", "latin1")]));
    }
    parts.push(Buffer.from("0\r\n\r\n", "latin1"));
    return parts;
}

/** One whole answer in `data`, or null if more is needed (`ended`: the connection is over, so a body without framing ends here). */
function parseReply(data: Buffer, ended: boolean): RawReply | null {
    let start = 0;
    for (;;) {
        const headEnd = data.indexOf("\r\n\r\n", start, "latin1");
        if (headEnd === -1) return null;
        const [statusLine = "", ...lines] = data.subarray(start, headEnd).toString("latin1").split("\r\n");
        const status = Number(/^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(statusLine)?.[1] ?? NaN);
        const headers: Record<string, string> = {};
        for (const line of lines) {
            const colon = line.indexOf(":");
            if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
        }
        const bodyStart = headEnd + 4;
        if (status >= 100 && status < 200) {
            start = bodyStart; // 100 Continue and the like: the real answer follows
            continue;
        }
        if (status === 204 || status === 304) return { status, statusLine, headers, body: Buffer.alloc(0) };
        if (/\bchunked\b/i.test(headers["transfer-encoding"] ?? "")) {
            const body = dechunk(data.subarray(bodyStart)) ?? (ended ? data.subarray(bodyStart) : null);
            return body === null ? null : { status, statusLine, headers, body };
        }
        const length = headers["content-length"];
        if (length !== undefined) {
            const end = bodyStart + Number(length);
            if (data.length >= end) return { status, statusLine, headers, body: data.subarray(bodyStart, end) };
            return ended ? { status, statusLine, headers, body: data.subarray(bodyStart) } : null;
        }
        return ended ? { status, statusLine, headers, body: data.subarray(bodyStart) } : null;
    }
}

function dechunk(data: Buffer): Buffer | null {
    const chunks: Buffer[] = [];
    let offset = 0;
    for (;;) {
        const lineEnd = data.indexOf("\r\n", offset, "latin1");
        if (lineEnd === -1) return null;
        const size = parseInt(data.subarray(offset, lineEnd).toString("latin1"), 16);
        if (Number.isNaN(size)) return null;
        if (size === 0) return data.indexOf("\r\n", lineEnd + 2, "latin1") === -1 ? null : Buffer.concat(chunks);
        const chunkStart = lineEnd + 2;
        if (data.length < chunkStart + size + 2) return null;
        chunks.push(data.subarray(chunkStart, chunkStart + size));
        offset = chunkStart + size + 2;
    }
}
