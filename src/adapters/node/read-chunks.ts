/**
 * A request body's bytes as they arrive, from a readable stream: node:http's IncomingMessage
 * (incoming.ts) or an HTTP/2 stream (h2-incoming.ts). Plain "data" events: for the small bodies most
 * requests carry, an async iterator costs more than the parsing.
 */
import type { Readable } from "node:stream";

/**
 * Resolves at the body's end; rejects with what `onChunk` throws (reading stops), or if the stream closes
 * first. Its listeners come off again once it has settled: leaving them on the request measured 0.69–0.93×
 * the echo's requests per second in adjacent pairs (bench/README.md), though it executes fewer instructions.
 */
export function readChunks(body: Readable, onChunk: (chunk: Uint8Array) => void): Promise<void> {
    if (body.readableEnded) return Promise.resolve();
    return new Promise((resolve, reject) => {
        const stop = (error?: unknown) => {
            body.off("data", onData).off("end", onEnd).off("error", stop).off("close", onClose);
            if (error === undefined) resolve();
            else reject(error);
        };
        const onData = (chunk: Buffer) => {
            try {
                onChunk(chunk);
            } catch (error) {
                stop(error);
            }
        };
        const onEnd = () => stop();
        const onClose = () => stop(new Error("The client went away before sending the whole body"));
        body.on("data", onData).on("end", onEnd).on("error", stop).on("close", onClose);
    });
}
