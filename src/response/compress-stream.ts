/**
 * The codings as node:zlib offers them on Node, Deno and Bun: a body in memory compressed at once, and a
 * stream compressed as it flows, flushed after each chunk so that what the source sends reaches the
 * client when it is sent, not when the compressor's window happens to fill.
 */
import type { Transform } from "node:stream";
import type { ReadableStreamReadResult, UnderlyingSource } from "node:stream/web";
import zlib from "node:zlib";
import type { Encoding } from "../types.ts";

/** zlib's zstd (Node ≥ 22.15 and 23.8, Bun, Deno): @types/node 20 does not declare it, and Node 20 has none. */
interface ZstdOptions {
    params?: Record<number, number>;
}
interface WithZstd {
    zstdCompressSync?: (body: string | Uint8Array, options?: ZstdOptions) => Uint8Array;
    createZstdCompress?: (options?: ZstdOptions) => Transform;
}
const zstdZlib = zlib as typeof zlib & WithZstd;
const constants = zlib.constants as typeof zlib.constants & Partial<Record<"ZSTD_c_compressionLevel" | "ZSTD_e_flush", number>>;

interface Codec {
    /** The whole body, compressed. */
    compress(body: string | Uint8Array): Uint8Array;
    /** A compressor for a stream. */
    create(): Transform;
    /** The flush that ends a block without ending the stream, so the client can decode all that came so far. */
    readonly flush: number;
}

// Brotli quality 4, not zlib's default 11: 11 is meant for compressing once ahead of time (the .br files
// of a static folder); it takes more than ten times the CPU of 4 for a few percent less, and here that
// price would be paid again for every answer.
const brotliOptions: zlib.BrotliOptions = { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } };
// gzip level 6 and zstd level 3 are each library's own default: its balance of speed and size.
const gzipOptions: zlib.ZlibOptions = { level: 6 };

const brotli: Codec = {
    compress: (body) => zlib.brotliCompressSync(body, brotliOptions),
    create: () => zlib.createBrotliCompress(brotliOptions),
    flush: constants.BROTLI_OPERATION_FLUSH,
};
// Z_SYNC_FLUSH, not Z_FULL_FLUSH: the client gets every byte so far either way, and a sync flush keeps
// the window, so the following chunks still compress against what came before.
const gzip: Codec = {
    compress: (body) => zlib.gzipSync(body, gzipOptions),
    create: () => zlib.createGzip(gzipOptions),
    flush: constants.Z_SYNC_FLUSH,
};
const zstd = zstdCodec();

/** zstd where node:zlib has it, else null. */
function zstdCodec(): Codec | null {
    const { zstdCompressSync, createZstdCompress } = zstdZlib;
    const { ZSTD_c_compressionLevel: levelParameter, ZSTD_e_flush: flush } = constants;
    if (zstdCompressSync === undefined || createZstdCompress === undefined || levelParameter === undefined || flush === undefined) return null;
    const options: ZstdOptions = { params: { [levelParameter]: 3 } };
    return { compress: (body) => zstdCompressSync(body, options), create: () => createZstdCompress(options), flush };
}

/** Whether this runtime can compress with `encoding` (zstd: not on Node 20). */
export function canEncode(encoding: Encoding): boolean {
    return encoding !== "zstd" || zstd !== null;
}

function codecOf(encoding: Encoding): Codec {
    if (encoding === "br") return brotli;
    if (encoding === "gzip") return gzip;
    if (zstd === null) throw new Error("zstd is not offered by this runtime's node:zlib");
    return zstd;
}

/**
 * A body held in memory, compressed at once with zlib's synchronous call: it is all there already (as
 * JSON.stringify made it), so the work is the same and a thread-pool round trip per answer would only
 * add latency; at most a few megabytes are compressed, like the stringify that made them.
 */
export function compressBytes(body: string | Uint8Array, encoding: Encoding): Uint8Array {
    return codecOf(encoding).compress(body);
}

/**
 * `source` compressed as it is read. Each chunk the source gives is written, then flushed, before the
 * next is asked for: a chunk sent every second reaches the client every second, and the source is read
 * only as fast as the client reads (one chunk in the compressor at a time). Cancelling the result
 * cancels the source; an error of the source errors the result.
 */
export function compressedStream(source: ReadableStream<Uint8Array>, encoding: Encoding): ReadableStream<Uint8Array> {
    // highWaterMark 0: nothing is read from the source ahead of the client's own reads.
    return new ReadableStream(new FlushingCompressor(source.getReader(), codecOf(encoding)), { highWaterMark: 0 });
}

class FlushingCompressor implements UnderlyingSource<Uint8Array> {
    readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
    readonly #codec: Codec;
    /** Made at the first read: a HEAD request cancels the body before that, and costs no compressor. */
    #compressor: Transform | undefined;
    /** Whether the compressed stream still takes chunks (not closed, errored or cancelled). */
    #open = true;
    /** How many chunks of output have been handed on. */
    #sent = 0;

    constructor(reader: ReadableStreamDefaultReader<Uint8Array>, codec: Codec) {
        this.#reader = reader;
        this.#codec = codec;
    }

    /**
     * Reads the source until a chunk gives output (or it ends): a pull that enqueues nothing is not
     * called again by the stream, so returning after an empty chunk would stall the client.
     */
    async pull(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
        const compressor = (this.#compressor ??= this.#started(controller));
        const sent = this.#sent;
        while (this.#open && this.#sent === sent) {
            let next: ReadableStreamReadResult<Uint8Array>;
            try {
                next = await this.#reader.read();
            } catch (error) {
                this.#close(compressor);
                throw error; // errors the compressed stream with the source's error
            }
            if (!this.#open) return; // cancelled while the source was read
            if (next.done) return ended(compressor);
            if (next.value.byteLength > 0) await flushed(compressor, next.value, this.#codec.flush);
        }
    }

    cancel(reason: unknown): Promise<void> {
        if (this.#compressor !== undefined) this.#close(this.#compressor);
        return this.#reader.cancel(reason);
    }

    #close(compressor: Transform): void {
        this.#open = false;
        compressor.destroy();
    }

    /** The compressor, its output going to the client as it comes (bounded: one source chunk at a time). */
    #started(controller: ReadableStreamDefaultController<Uint8Array>): Transform {
        const compressor = this.#codec.create();
        compressor.on("data", (chunk: Uint8Array) => {
            if (!this.#open) return;
            this.#sent++;
            controller.enqueue(chunk);
        });
        compressor.once("end", () => {
            if (this.#open) controller.close();
            this.#open = false;
        });
        compressor.on("error", (error) => {
            if (!this.#open) return;
            this.#open = false;
            controller.error(error);
            this.#reader.cancel(error).catch(() => {});
        });
        return compressor;
    }
}

/** Resolves once `chunk` has been compressed and flushed (its output already handed on), or the compressor failed. */
function flushed(compressor: Transform, chunk: Uint8Array, flush: number): Promise<void> {
    return new Promise((resolve) => {
        compressor.write(chunk);
        // zlib's flush(kind, callback); the callback also comes when the compressor has failed or been destroyed.
        (compressor as Transform & { flush(kind: number, callback: () => void): void }).flush(flush, resolve);
    });
}

/** Ends the compressed stream: its last bytes go out, then the stream closes (the "end" listener). */
function ended(compressor: Transform): Promise<void> {
    return new Promise((resolve) => {
        compressor.once("end", resolve).once("error", () => resolve());
        compressor.end();
    });
}
