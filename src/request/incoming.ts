import type { RequestInfo } from "../types.ts";

/**
 * A request as a server adapter hands it to the pipeline. It is the only view of the
 * runtime's request object that the pipeline has, so the pipeline runs on any runtime.
 */
export interface Incoming {
    readonly method: string;
    /** The request target as sent, e.g. `/params/caf%C3%A9?x=1`. */
    readonly target: string;
    /** The Host header as sent (undefined without one); the pipeline refuses one that is not a host. */
    readonly host: string | undefined;
    /** A header's value, by lower-case name. */
    header(name: string): string | undefined;
    /** Whether the request carries a body (a Content-Length above 0, or chunked). */
    readonly hasBody: boolean;
    /** The part of the request a handler sees as `request` (adapters make it on first use). */
    readonly info: RequestInfo;
    /**
     * Passes the body's bytes to `onChunk` as they arrive; resolves at the end of the body. If `onChunk`
     * throws, reading stops and the promise rejects with that error (the connection stays usable).
     */
    readChunks(onChunk: (chunk: Uint8Array) => void): Promise<void>;
    /**
     * The whole body as UTF-8 text, where the runtime reads it faster that way than in chunks (Deno, Bun).
     * Called only for a body with a Content-Length within the limit.
     */
    readText?(): Promise<string>;
    /**
     * Stop reading the body: what is left is thrown away and the connection closes after the answer (at
     * once, where the adapter can, once more than maxBodySize bytes have been thrown away).
     */
    discardBody(): void;
}
