/**
 * An HTTP/2 stream's request, as node:http2's core API hands it over (the stream and its header
 * object), as an `Incoming`. What differs from HTTP/1.1 (incoming.ts): the request line is the
 * pseudo-headers; the Host is `:authority`; a body needs no Content-Length (the stream's end marks its
 * end); the stream itself is the body to read and the answer's way out; and a refused body ends the
 * stream (RST_STREAM), never the session, which carries the client's other requests.
 */
import { constants, type IncomingHttpHeaders, type ServerHttp2Stream } from "node:http2";
import type { Incoming } from "../../contract.ts";
import { ipBehindProxies, secureBehindProxies } from "../../forwarded.ts";
import type { RequestInfo } from "../../types.ts";
import { readChunks } from "./read-chunks.ts";

/** The stream's request headers, pseudo-headers included (node:http2 joins a repeated header but Set-Cookie). */
export type H2Headers = IncomingHttpHeaders;

class H2RequestInfo implements RequestInfo {
    readonly #stream: ServerHttp2Stream;
    readonly #headers: H2Headers;
    readonly #trustProxy: number;
    #view: Headers | undefined;
    #controller: AbortController | undefined;
    #ip: string | undefined;

    constructor(stream: ServerHttp2Stream, headers: H2Headers, trustProxy: number) {
        this.#stream = stream;
        this.#headers = headers;
        this.#trustProxy = trustProxy;
    }

    get method(): string {
        return this.#headers[":method"] ?? "GET";
    }

    // The session's socket is the client's; optional chaining because a destroyed session lets it go.
    get ip(): string {
        const peer = this.#stream.session?.socket?.remoteAddress ?? "";
        return (this.#ip ??= ipBehindProxies(peer, this.#trustProxy, (name) => headerOf(this.#headers, name)));
    }

    // Built on first use, as on HTTP/1.1. The pseudo-headers are the request line's, which a Headers
    // object refuses by name: left out, but for :authority, which a handler reading the Host finds there.
    get headers(): Headers {
        if (this.#view === undefined) {
            const view = (this.#view = new Headers());
            for (const [name, value] of Object.entries(this.#headers)) {
                if (name.startsWith(":") || value === undefined) continue;
                for (const each of Array.isArray(value) ? value : [value]) appendLeniently(view, name, each);
            }
            const authority = this.#headers[":authority"];
            if (authority !== undefined && !view.has("host")) view.set("host", authority);
        }
        return this.#view;
    }

    get signal(): AbortSignal {
        if (this.#controller === undefined) {
            const controller = (this.#controller = new AbortController());
            const stream = this.#stream;
            if (stream.closed || stream.destroyed) {
                if (!answered(stream)) controller.abort();
            } else {
                stream.once("close", () => answered(stream) || controller.abort());
            }
        }
        return this.#controller.signal;
    }
}

/** Whether the whole answer went out, once the stream has closed: its close code tells that from a reset (CANCEL) or a loss. */
function answered(stream: ServerHttp2Stream): boolean {
    return stream.writableEnded && stream.rstCode === constants.NGHTTP2_NO_ERROR;
}

/** A header the Fetch standard refuses (bytes outside Latin-1) is left out rather than failing the request. */
function appendLeniently(headers: Headers, name: string, value: string): void {
    try {
        headers.append(name, value);
    } catch {
        // left out
    }
}

function headerOf(headers: H2Headers, name: string): string | undefined {
    const value = headers[name];
    return Array.isArray(value) ? value.join(", ") : value;
}

export class H2Incoming implements Incoming {
    readonly #stream: ServerHttp2Stream;
    readonly #headers: H2Headers;
    readonly #maxBodySize: number;
    readonly #trustProxy: number;
    /** The client sent `Expect: 100-continue` and waits for a 100 before the body (sent on the first read). */
    #awaitsContinue: boolean;
    #info: H2RequestInfo | undefined;
    /** The body was left unread: the stream is reset once the answer is out. */
    discarded = false;

    constructor(stream: ServerHttp2Stream, headers: H2Headers, maxBodySize: number, trustProxy: number) {
        this.#stream = stream;
        this.#headers = headers;
        this.#maxBodySize = maxBodySize;
        this.#trustProxy = trustProxy;
        this.#awaitsContinue = headers.expect?.toLowerCase() === "100-continue";
    }

    get info(): H2RequestInfo {
        return (this.#info ??= new H2RequestInfo(this.#stream, this.#headers, this.#trustProxy));
    }

    // Every stream here came over TLS (the server is node:http2's secure one); trusted proxies may say otherwise.
    get secure(): boolean {
        return secureBehindProxies(this.#trustProxy, (name) => this.header(name)) ?? true;
    }

    get method(): string {
        return this.#headers[":method"] ?? "GET";
    }

    // A CONNECT request has no :path; its target is the authority, as node:http gives it on HTTP/1.1.
    get target(): string {
        return this.#headers[":path"] ?? this.#headers[":authority"] ?? "/";
    }

    // RFC 9113 §8.3.1: clients send :authority rather than a Host header (which they may still send).
    get host(): string | undefined {
        return this.#headers[":authority"] ?? this.#headers.host;
    }

    header(name: string): string | undefined {
        return name === "host" ? this.host : headerOf(this.#headers, name);
    }

    // RFC 9113 §8.1: a request without a body ends its stream with its headers; Content-Length is optional.
    get hasBody(): boolean {
        const length = this.#headers["content-length"];
        return length === undefined ? !this.#stream.endAfterHeaders : length !== "0";
    }

    readChunks(onChunk: (chunk: Uint8Array) => void): Promise<void> {
        if (this.#awaitsContinue) {
            this.#awaitsContinue = false;
            if (!this.#stream.headersSent && !this.#stream.destroyed) this.#stream.additionalHeaders({ ":status": 100 });
        }
        return readChunks(this.#stream, onChunk);
    }

    // Read and thrown away so that the client, still sending, can read the answer (flow control would
    // stall it otherwise); past maxBodySize thrown away, the stream is reset as soon as the answer is out.
    discardBody(): void {
        if (this.discarded) return;
        this.discarded = true;
        const stream = this.#stream;
        let dropped = 0;
        const count = (chunk: Buffer) => {
            dropped += chunk.length;
            if (dropped <= this.#maxBodySize) return;
            stream.off("data", count);
            afterAnswer(stream, () => endStream(stream));
        };
        stream.on("data", count);
        stream.resume();
    }
}

/** Calls `then` once the stream's answer has been handed to the session whole (at once if it has). */
export function afterAnswer(stream: ServerHttp2Stream, then: () => void): void {
    if (stream.writableFinished) then();
    else stream.once("finish", then);
}

/**
 * RST_STREAM with NO_ERROR, the way RFC 9113 §8.1 gives a server that has answered in full to tell the
 * client to stop sending the request's body; the session and its other streams carry on.
 */
export function endStream(stream: ServerHttp2Stream): void {
    if (!stream.closed && !stream.destroyed) stream.close(constants.NGHTTP2_NO_ERROR);
}
