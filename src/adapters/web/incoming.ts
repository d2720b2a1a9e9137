/** A fetch-style `Request` (Deno.serve, Bun.serve) as the pipeline sees it, and the `request` a handler reads. */
import type { Incoming } from "../../contract.ts";
import { ipBehindProxies, secureBehindProxies } from "../../forwarded.ts";
import type { RequestInfo } from "../../types.ts";

/** Finds the client's address from what the runtime passed beside the request (Deno's info, Bun's server). */
export type ClientAddress = (request: Request, context: unknown) => string;

/**
 * How a runtime's `Request` shows what the client sent: the runtimes give an absolute URL built from the
 * Host header and the target, each its own way, so each runtime's file says how to take them apart.
 */
export interface RequestLine {
    /** The Host header as sent, or undefined without one. */
    host(request: Request): string | undefined;
    /** The request target as sent; `host` is what host() gave. */
    target(request: Request, host: string | undefined): string;
}

/**
 * The target of an absolute URL whose authority holds no "/": what follows it. A target like `ftp://x/y`
 * that a runtime passes through as it is stays whole, so the pipeline refuses it (400) as on Node.
 */
export function afterAuthority(url: string): string {
    if (!url.startsWith("http://") && !url.startsWith("https://")) return url;
    return url.slice(url.indexOf("/", url.indexOf("//") + 2));
}

/**
 * One request and its answer's progress. The runtimes' `request.signal` also aborts after an answer
 * sent in full (Deno does so by design), so it means "the client left" only while the answer is unfinished.
 */
export class Exchange {
    readonly #request: Request;
    #controller: AbortController | undefined;
    #finished = false;

    constructor(request: Request) {
        this.#request = request;
    }

    // Listened to on first use only: Deno prints a notice the first time request.signal is read.
    get clientGone(): AbortSignal {
        if (this.#controller === undefined) {
            const controller = (this.#controller = new AbortController());
            const signal = this.#request.signal;
            const abort = () => this.#finished || controller.abort();
            if (signal.aborted) abort();
            else signal.addEventListener("abort", abort, { once: true });
        }
        return this.#controller.signal;
    }

    /** The answer is complete: from now on, the connection closing is not the client leaving. */
    finish(): void {
        this.#finished = true;
    }

    /** The client left before the answer was complete (a streamed body noticed it first). */
    leave(): void {
        if (this.#finished) return;
        this.#controller?.abort();
        this.#finished = true;
    }
}

class WebRequestInfo implements RequestInfo {
    readonly #request: Request;
    readonly #exchange: Exchange;
    readonly #context: unknown;
    readonly #clientAddress: ClientAddress;
    readonly #trustProxy: number;
    #ip: string | undefined;

    constructor(request: Request, exchange: Exchange, context: unknown, clientAddress: ClientAddress, trustProxy: number) {
        this.#request = request;
        this.#exchange = exchange;
        this.#context = context;
        this.#clientAddress = clientAddress;
        this.#trustProxy = trustProxy;
    }

    // With trustProxy 0 (the default), the socket's peer, without reading any header.
    get ip(): string {
        return (this.#ip ??= ipBehindProxies(this.#clientAddress(this.#request, this.#context), this.#trustProxy, (name) => this.#request.headers.get(name) ?? undefined));
    }

    get method(): string {
        return this.#request.method;
    }

    get headers(): Headers {
        return this.#request.headers;
    }

    get signal(): AbortSignal {
        return this.#exchange.clientGone;
    }
}

/** How each runtime shows its requests: the two functions a WebIncoming asks. */
export interface RequestReading {
    requestLine: RequestLine;
    clientAddress: ClientAddress;
}

export class WebIncoming implements Incoming {
    readonly #request: Request;
    readonly #reading: RequestReading;
    #host: string | undefined | null = null; // null: not read yet
    #exchange: Exchange | undefined;
    #finished = false;
    #method: string | undefined;
    readonly #context: unknown;
    readonly #trustProxy: number;
    #info: WebRequestInfo | undefined;
    #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    /** The body was left unread (too large, too slow, no route): the connection closes after the answer. */
    discarded = false;

    /** `trustProxy`: how many proxies to believe about the client's address and scheme (AdapterOptions). */
    constructor(request: Request, reading: RequestReading, context: unknown, trustProxy: number) {
        this.#request = request;
        this.#reading = reading;
        this.#context = context;
        this.#trustProxy = trustProxy;
    }

    /** Made on first use: most answers are complete the moment they are handed over. */
    get exchange(): Exchange {
        if (this.#exchange === undefined) {
            this.#exchange = new Exchange(this.#request);
            if (this.#finished) this.#exchange.finish();
        }
        return this.#exchange;
    }

    /** The answer is complete (see Exchange.finish). */
    finish(): void {
        this.#finished = true;
        this.#exchange?.finish();
    }

    get info(): WebRequestInfo {
        return (this.#info ??= new WebRequestInfo(this.#request, this.exchange, this.#context, this.#reading.clientAddress, this.#trustProxy));
    }

    // What the trusted proxies say, else the scheme the runtime put in the URL (https: when it serves TLS).
    get secure(): boolean {
        return secureBehindProxies(this.#trustProxy, (name) => this.header(name)) ?? this.#request.url.startsWith("https:");
    }

    get method(): string {
        return (this.#method ??= this.#request.method);
    }

    get host(): string | undefined {
        if (this.#host === null) this.#host = this.#reading.requestLine.host(this.#request);
        return this.#host;
    }

    get target(): string {
        return this.#reading.requestLine.target(this.#request, this.host);
    }

    // Without reading the headers (on Deno that builds a Headers object) or, for a POST, `request.body`
    // (that makes a stream, and the runtime's faster whole-body reader then goes through it): a request
    // that may carry a body is read, and an empty one gives null all the same.
    get hasBody(): boolean {
        const method = this.method;
        return method === "GET" || method === "HEAD" ? this.#request.body !== null : true;
    }

    header(name: string): string | undefined {
        return this.#request.headers.get(name) ?? undefined;
    }

    async readChunks(onChunk: (chunk: Uint8Array) => void): Promise<void> {
        // With a Content-Length (already checked against the limit), the runtime's own reader is fastest.
        if (this.#request.headers.has("content-length")) return onChunk(new Uint8Array(await this.#request.arrayBuffer()));
        const body = this.#request.body;
        if (body === null) return;
        const reader = (this.#reader = body.getReader());
        for (;;) {
            const { done, value } = await reader.read();
            if (done) return;
            onChunk(value);
        }
    }

    // Decoded by the runtime straight from its buffer, which is faster than bytes then TextDecoder.
    readText(): Promise<string> {
        return this.#request.text();
    }

    discardBody(): void {
        this.discarded = true;
        const stop = this.#reader ? this.#reader.cancel() : this.#request.body?.cancel();
        stop?.catch(() => {});
    }
}
