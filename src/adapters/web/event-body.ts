/** An event stream as the body of a fetch-style Response. */
import type { EventStream, EventSink } from "../../contract.ts";
import { BodyCutOff } from "./cut-offs.ts";
import type { Exchange } from "./incoming.ts";

/** What an event stream's body holds before send() waits (what the runtime has taken is not counted). */
const eventQueueBytes = 16 * 1024;

/**
 * The body the stream writes into, through a sink; the runtime pulling is the sign that it can take
 * more, and cancelling it, that the client left. `ended` is called once, however the body ends.
 */
export function eventBody(stream: EventStream, lastEventId: string | undefined, exchange: Exchange, ended: () => void): ReadableStream<Uint8Array> {
    const encoder = new TextEncoder();
    let open = true;
    // One promise for every send waiting at once, settled when the runtime next pulls.
    let drained: { promise: Promise<void>; resolve: () => void } | undefined;
    const whenPulled = () => {
        drained?.resolve();
        drained = undefined;
    };
    const close = () => {
        if (!open) return false;
        open = false;
        whenPulled();
        ended();
        return true;
    };
    const gone = () => {
        if (!close()) return;
        exchange.leave();
        stream.gone();
    };
    return new ReadableStream<Uint8Array>(
        {
            start: (controller) => {
                const sink: EventSink = {
                    write: (text) => {
                        if (!open) return false;
                        controller.enqueue(encoder.encode(text));
                        return (controller.desiredSize ?? 0) > 0;
                    },
                    drained: () => {
                        if (!open) return Promise.resolve();
                        if (drained === undefined) {
                            let resolve!: () => void;
                            const promise = new Promise<void>((settle) => (resolve = settle));
                            drained = { promise, resolve };
                        }
                        return drained.promise;
                    },
                    pending: () => eventQueueBytes - (controller.desiredSize ?? 0),
                    end: () => {
                        if (!close()) return;
                        exchange.finish();
                        controller.close();
                    },
                    abort: () => {
                        if (open) controller.error(new BodyCutOff("The client is not reading; the stream was cut off"));
                        gone();
                    },
                };
                stream.open(sink, lastEventId);
            },
            pull: whenPulled,
            cancel: gone,
        },
        new ByteLengthQueuingStrategy({ highWaterMark: eventQueueBytes }),
    );
}
