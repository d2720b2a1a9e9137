/**
 * A request body's bytes as they arrive, from a readable stream: node:http's IncomingMessage
 * (incoming.ts) or an HTTP/2 stream (h2-incoming.ts). Plain "data" events: for the small bodies most
 * requests carry, an async iterator costs more than the parsing.
 */
import type { Readable } from "node:stream";

/**
 * Resolves at the body's end; rejects with what `onChunk` throws (reading stops), or if the stream closes
 * first. Its listeners stay on the stream once it has settled, doing nothing: the stream is the request's,
 * which ends with it, and taking four listeners off again would cost a small request more than reading it.
 */
export function readChunks(body: Readable, onChunk: (chunk: Uint8Array) => void): Promise<void> {
    if (body.readableEnded) return Promise.resolve();
    return new Promise((resolve, reject) => {
        let settled = false;
        const stop = (error?: unknown) => {
            if (settled) return;
            settled = true;
            if (error === undefined) resolve();
            else reject(error);
        };
        const onData = (chunk: Buffer) => {
            if (settled) return;
            try {
                onChunk(chunk);
            } catch (error) {
                stop(error);
            }
        };
        body.on("data", onData)
            .on("end", () => stop())
            .on("error", stop)
            .on("close", () => stop(new Error("The client went away before sending the whole body")));
    });
}
