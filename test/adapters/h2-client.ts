/** A small HTTP/2 client over node:http2 (on Deno and Bun too, through their node:http2), for the HTTPS tests. */
import http2, { type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders, type OutgoingHttpHeaders } from "node:http2";
import { after } from "node:test";
import { EventStreamParser, type ServerEvent } from "../../dist/testing/parse-events.js";

export interface H2Reply {
    status: number;
    headers: IncomingHttpHeaders;
    body: string;
}

/** One HTTP/2 connection to `url` trusting `ca`, closed when the test file ends. */
export function connectH2(url: string, ca: string): ClientHttp2Session {
    const session = http2.connect(url, { ca });
    session.on("error", () => {}); // a test that expects a reset checks the stream; the session's own errors fail its requests
    after(() => session.destroy());
    return session;
}

/** Resolves once the connection is up (its TLS handshake and SETTINGS done). */
export function connected(session: ClientHttp2Session): Promise<void> {
    return new Promise((resolve, reject) => {
        if (session.connecting === false) return resolve();
        session.once("connect", () => resolve());
        session.once("error", reject);
    });
}

/**
 * One request on the session: `body` is sent with no Content-Length unless `headers` give one. Once the
 * whole answer is in, what is left of the stream is closed, as a client does with an upload the server
 * answered before reading it (Deno's node:http2 client leaves such a stream open otherwise).
 */
export async function h2Request(session: ClientHttp2Session, headers: OutgoingHttpHeaders, body?: string | Uint8Array): Promise<H2Reply> {
    const stream = session.request(headers, { endStream: body === undefined });
    if (body !== undefined) stream.end(body);
    const reply = await replyOf(stream);
    if (!stream.closed) stream.close();
    return reply;
}

/**
 * The status, headers and body of a stream's response, once its body has ended. Status and body are
 * kept apart: Deno's node:http2 client can give the first bytes of the body before the "response" event.
 */
export function replyOf(stream: ClientHttp2Stream): Promise<H2Reply> {
    return new Promise((resolve, reject) => {
        let headers: IncomingHttpHeaders = {};
        const chunks: Buffer[] = [];
        const done = () => {
            if (headers[":status"] === undefined) return reject(new Error(`The stream closed without a response (code ${stream.rstCode})`));
            resolve({ status: Number(headers[":status"]), headers, body: Buffer.concat(chunks).toString("utf8") });
        };
        stream.on("response", (received) => (headers = received));
        stream.on("data", (chunk: Buffer) => chunks.push(chunk));
        stream.on("error", reject);
        stream.on("end", done);
        stream.on("close", done);
    });
}

/** An event stream opened on the session: its events as they come, and a way to leave as a browser's EventSource does. */
export function h2EventStream(session: ClientHttp2Session, path: string) {
    const stream = session.request({ ":path": path, accept: "text/event-stream" }, { endStream: true });
    const parser = new EventStreamParser();
    const events: ServerEvent[] = [];
    let text = "";
    let waiting: { count: number; resolve: () => void } | undefined;
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
        text += chunk;
        events.push(...parser.push(chunk));
        if (waiting !== undefined && events.length >= waiting.count) waiting.resolve();
    });
    stream.on("error", () => {}); // a reset is what some tests wait for: `ended` tells
    const ended = new Promise<{ rstCode: number; text: string }>((resolve) => stream.on("close", () => resolve({ rstCode: stream.rstCode, text })));
    return {
        stream,
        events,
        ended,
        /** Resolves once `count` events have arrived in all. */
        waitFor(count: number): Promise<ServerEvent[]> {
            if (events.length >= count) return Promise.resolve(events);
            return new Promise((resolve) => (waiting = { count, resolve: () => resolve(events) }));
        },
        /** RST_STREAM with CANCEL: what a browser sends when an EventSource is closed on a connection it keeps. */
        close(): void {
            stream.close(http2.constants.NGHTTP2_CANCEL);
        },
    };
}

/** Resolves once `check()` holds, checking every 10 ms; rejects after `ms`. */
export async function until(check: () => boolean, ms = 3000, what = "the condition"): Promise<void> {
    const deadline = Date.now() + ms;
    while (!check()) {
        if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
    }
}
