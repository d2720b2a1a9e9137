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
    return parseReplyAt(data, 0, ended)?.reply ?? null;
}

/** The answer starting at `start` and where it ends, or null if more is needed. */
function parseReplyAt(data: Buffer, start: number, ended: boolean): { reply: RawReply; end: number } | null {
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
        const whole = (end: number) => ({ reply: { status, statusLine, headers, body: data.subarray(bodyStart, end) }, end });
        if (status === 204 || status === 304) return whole(bodyStart);
        if (/\bchunked\b/i.test(headers["transfer-encoding"] ?? "")) {
            const chunks = dechunk(data.subarray(bodyStart));
            if (chunks !== null) return { reply: { status, statusLine, headers, body: chunks.body }, end: bodyStart + chunks.end };
            return ended ? whole(data.length) : null;
        }
        const length = headers["content-length"];
        if (length !== undefined) {
            const end = bodyStart + Number(length);
            if (data.length >= end) return whole(end);
            return ended ? whole(data.length) : null;
        }
        return ended ? whole(data.length) : null;
    }
}

/**
 * Sends `requests` one after the other on one kept-alive connection, as a proxy reusing its upstream
 * connection would: each once the answers before it have arrived, or once the server has been quiet for
 * `quietMs` (an answer whose framing promises more than it sends). Reads until the server closes the
 * connection or stays quiet after the last request. Returns the answers read in order, and what followed
 * them that is not an answer (non-empty when a body's framing lied).
 */
export function onOneConnection(port: number, requests: readonly string[], quietMs = 300): Promise<{ replies: RawReply[]; rest: string; closed: boolean }> {
    return new Promise((resolve) => {
        const socket = connect(port, "127.0.0.1");
        let received = Buffer.alloc(0);
        let sent = 0;
        let quiet: ReturnType<typeof setTimeout> | undefined;
        const read = (closed: boolean) => {
            const replies: RawReply[] = [];
            let offset = 0;
            for (let parsed = parseReplyAt(received, 0, closed); parsed !== null; parsed = parseReplyAt(received, offset, closed)) {
                replies.push(parsed.reply);
                offset = parsed.end;
                if (offset >= received.length) break;
            }
            return { replies, rest: received.subarray(offset).toString("latin1"), closed };
        };
        const finish = (closed: boolean) => {
            clearTimeout(quiet);
            socket.destroy();
            resolve(read(closed));
        };
        const sendNext = () => {
            clearTimeout(quiet);
            if (sent < requests.length) socket.write(requests[sent++]!, "latin1");
            quiet = setTimeout(() => (sent < requests.length ? sendNext() : finish(false)), quietMs);
        };
        socket.on("data", (chunk: Buffer) => {
            received = Buffer.concat([received, chunk]);
            if (read(false).replies.length >= sent) sendNext();
        });
        socket.on("close", () => finish(true));
        socket.on("error", () => {});
        socket.on("connect", sendNext);
    });
}

/** The body of a chunked answer and where its framing ends, or null if more is needed. */
function dechunk(data: Buffer): { body: Buffer; end: number } | null {
    const chunks: Buffer[] = [];
    let offset = 0;
    for (;;) {
        const lineEnd = data.indexOf("\r\n", offset, "latin1");
        if (lineEnd === -1) return null;
        const size = parseInt(data.subarray(offset, lineEnd).toString("latin1"), 16);
        if (Number.isNaN(size)) return null;
        if (size === 0) {
            const trailerEnd = data.indexOf("\r\n", lineEnd + 2, "latin1");
            return trailerEnd === -1 ? null : { body: Buffer.concat(chunks), end: trailerEnd + 2 };
        }
        const chunkStart = lineEnd + 2;
        if (data.length < chunkStart + size + 2) return null;
        chunks.push(data.subarray(chunkStart, chunkStart + size));
        offset = chunkStart + size + 2;
    }
}

/**
 * Sends a request head, then body bytes as fast as the server takes them (up to `maxBytes`), and tells
 * how many it took before it closed the connection, and what it answered.
 */
export function flood(port: number, head: string, maxBytes: number): Promise<{ written: number; text: string; closed: boolean }> {
    return new Promise((resolve) => {
        const socket = connect(port, "127.0.0.1");
        const chunk = Buffer.alloc(64 * 1024, "x");
        let written = 0;
        let text = "";
        let closed = false;
        const done = () => resolve({ written, text, closed });
        const giveUp = setTimeout(() => (socket.destroy(), done()), 15_000);
        socket.setEncoding("latin1");
        socket.on("data", (data: string) => (text += data));
        socket.on("error", () => {});
        socket.on("close", () => {
            closed = true;
            clearTimeout(giveUp);
            done();
        });
        socket.on("connect", async () => {
            socket.write(head);
            const chunked = head.includes("chunked");
            while (written < maxBytes && !socket.destroyed) {
                const framed = chunked ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from("\r\n")]) : chunk;
                written += chunk.length;
                if (!socket.write(framed)) await new Promise((drained) => (socket.once("drain", drained), socket.once("close", drained)));
            }
            if (!socket.destroyed) socket.end();
        });
    });
}
