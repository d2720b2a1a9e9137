/**
 * A node:http request (HTTP/1.1, plain or over TLS) as the pipeline sees it: an `Incoming`, and the
 * `request` a handler reads. An HTTP/2 stream's request is h2-incoming.ts's.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import type { Incoming } from "../../contract.ts";
import { ipBehindProxies, secureBehindProxies } from "../../forwarded.ts";
import { readChunks } from "./read-chunks.ts";
import type { RequestInfo } from "../../types.ts";

/** A request of node:http, and its response. */
export type NodeRequest = IncomingMessage;
export type NodeResponse = ServerResponse;

export class NodeRequestInfo implements RequestInfo {
    protected readonly req: NodeRequest;
    protected readonly res: NodeResponse;
    readonly #trustProxy: number;
    #headers: Headers | undefined;
    #controller: AbortController | undefined;
    #ip: string | undefined;

    constructor(req: NodeRequest, res: NodeResponse, trustProxy: number) {
        this.req = req;
        this.res = res;
        this.#trustProxy = trustProxy;
    }

    get method(): string {
        return this.req.method ?? "GET";
    }

    // With trustProxy 0 (the default), the socket's peer, without reading any header.
    get ip(): string {
        return (this.#ip ??= ipBehindProxies(this.req.socket.remoteAddress ?? "", this.#trustProxy, (name) => headerOf(this.req, name)));
    }

    // Built on first use: most handlers never look at the headers, and a Headers object is not free.
    get headers(): Headers {
        return (this.#headers ??= headersFromRaw(this.req.rawHeaders));
    }

    get signal(): AbortSignal {
        if (this.#controller === undefined) {
            const controller = (this.#controller = new AbortController());
            if (this.closed()) {
                if (!this.answered()) controller.abort();
            } else {
                this.res.once("close", () => {
                    if (!this.answered()) controller.abort();
                });
            }
        }
        return this.#controller.signal;
    }

    /** Whether the response has closed (the client is gone, or the whole answer went out). */
    protected closed(): boolean {
        return (this.res as ServerResponse).closed; // HTTP/2's response has no such property: H2RequestInfo asks its stream
    }

    /** Whether the whole answer went out, once the response has closed: if not, the request was aborted. */
    protected answered(): boolean {
        return this.res.writableFinished;
    }
}

/** A header's value, by lower-case name; node:http keeps a repeated X-Forwarded-For or Forwarded as one "a, b". */
function headerOf(req: NodeRequest, name: string): string | undefined {
    const value = req.headers[name];
    return Array.isArray(value) ? value.join(", ") : value;
}

/** node:http's flat [name, value, name, value…] list as a web Headers object. */
export function headersFromRaw(raw: string[]): Headers {
    const headers = new Headers();
    for (let i = 0; i < raw.length; i += 2) {
        try {
            headers.append(raw[i]!, raw[i + 1]!);
        } catch {
            // a header the Fetch standard refuses (bytes outside Latin-1): left out rather than failing the request
        }
    }
    return headers;
}

export class NodeIncoming implements Incoming {
    protected readonly req: NodeRequest;
    protected readonly res: NodeResponse;
    readonly #maxBodySize: number;
    protected readonly trustProxy: number;
    /** The client sent `Expect: 100-continue` and waits for a 100 before the body (sent on the first read). */
    #awaitsContinue: boolean;
    #info: NodeRequestInfo | undefined;
    /** The body was left unread: the connection closes after the answer (on HTTP/2, the stream is reset). */
    discarded = false;

    constructor(req: NodeRequest, res: NodeResponse, maxBodySize: number, awaitsContinue: boolean, trustProxy: number) {
        this.req = req;
        this.res = res;
        this.#maxBodySize = maxBodySize;
        this.#awaitsContinue = awaitsContinue;
        this.trustProxy = trustProxy;
    }

    get info(): NodeRequestInfo {
        return (this.#info ??= new NodeRequestInfo(this.req, this.res, this.trustProxy));
    }

    // What the trusted proxies say, else whether this connection is TLS (node:http's never is; node:https's would be).
    get secure(): boolean {
        return secureBehindProxies(this.trustProxy, (name) => this.header(name)) ?? (this.req.socket as Partial<TLSSocket>).encrypted === true;
    }

    get method(): string {
        return this.req.method ?? "GET";
    }

    get target(): string {
        return this.req.url ?? "/";
    }

    get host(): string | undefined {
        return this.req.headers.host;
    }

    get hasBody(): boolean {
        const { headers } = this.req;
        const length = headers["content-length"];
        if (length !== undefined) return length !== "0";
        return headers["transfer-encoding"] !== undefined;
    }

    header(name: string): string | undefined {
        return headerOf(this.req, name);
    }

    readChunks(onChunk: (chunk: Uint8Array) => void): Promise<void> {
        const req = this.req;
        if (req.readableEnded) return Promise.resolve();
        if (this.#awaitsContinue) {
            this.#awaitsContinue = false;
            this.res.writeContinue();
        }
        return readChunks(req, onChunk);
    }

    // Read and thrown away so that the client, still sending, can read the answer; past maxBodySize
    // thrown away, the connection is closed as soon as the answer is out.
    discardBody(): void {
        if (this.discarded) return;
        this.discarded = true;
        const req = this.req;
        const res = this.res;
        let dropped = 0;
        const cut = () => req.socket.destroy();
        const count = (chunk: Buffer) => {
            dropped += chunk.length;
            if (dropped <= this.#maxBodySize) return;
            req.off("data", count);
            if (res.writableFinished) cut();
            else res.once("finish", cut);
        };
        req.on("data", count);
        req.resume();
    }
}
