/** An event stream's way to its ServerResponse. */
import type { ServerResponse } from "node:http";
import type { EventSink } from "../../contract.ts";

/** A class: one object per stream rather than one closure per method. */
export class ResponseSink implements EventSink {
    readonly #res: ServerResponse;
    readonly #closing: () => boolean;
    /** Shared by every send waiting at once: one pair of listeners, however many wait. */
    #drained: Promise<void> | undefined;

    constructor(res: ServerResponse, closing: () => boolean) {
        this.#res = res;
        this.#closing = closing;
    }

    write(text: string): boolean {
        return !this.#res.writableEnded && this.#res.write(text);
    }

    drained(): Promise<void> {
        return (this.#drained ??= whenDrained(this.#res).finally(() => (this.#drained = undefined)));
    }

    pending(): number {
        return this.#res.writableLength;
    }

    end(): void {
        const res = this.#res;
        if (res.writableEnded) return;
        res.end();
        if (this.#closing()) res.socket?.end(); // its headers promised keep-alive; the server is going away
    }

    abort(): void {
        this.#res.destroy();
    }
}

function whenDrained(res: ServerResponse): Promise<void> {
    return new Promise((resolve) => {
        if (res.destroyed || res.writableEnded || !res.writableNeedDrain) return resolve();
        const done = () => {
            res.off("drain", done);
            res.off("close", done);
            resolve();
        };
        res.on("drain", done);
        res.on("close", done);
    });
}
