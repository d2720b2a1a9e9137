import { ChannelHistory } from "./history.ts";
import type { ChannelTransport, Deliver, Replay, TransportOptions } from "./transport.ts";

/** Channels within one process: the default. */
export class LocalTransport implements ChannelTransport {
    readonly #deliver: Deliver;
    readonly #history: ChannelHistory;

    constructor({ deliver, history, channelsKept }: TransportOptions) {
        this.#deliver = deliver;
        this.#history = new ChannelHistory(history, channelsKept);
    }

    async publish(channel: string, event: string | undefined, data: string, key?: string): Promise<number> {
        const earlier = this.#history.publishedWith(channel, key);
        if (earlier !== undefined) return earlier;
        const message = this.#history.add(channel, event, data, key);
        this.#deliver(channel, message);
        return message.id;
    }

    async replay(channel: string, afterId: number): Promise<Replay> {
        return this.#history.replay(channel, afterId);
    }

    keptChannels(): number {
        return this.#history.size;
    }

    async close(): Promise<void> {}
}
