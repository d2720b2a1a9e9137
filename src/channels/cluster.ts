import cluster, { type Worker } from "node:cluster";
import { ChannelHistory, defaultChannelsKept } from "./history.ts";
import type { ChannelMessage, ChannelTransport, Deliver, Replay, TransportOptions } from "./transport.ts";

/** Between a worker and the primary of `vshs --workers`, over the cluster's IPC channel. */
type Request = { vshs: "channel-publish"; request: number; channel: string; event: string | undefined; data: string; key: string | undefined } | { vshs: "channel-replay"; request: number; channel: string; afterId: number };
type Reply = { vshs: "channel-reply"; request: number; id?: number; replay?: Replay };
type Delivery = { vshs: "channel-event"; channel: string; message: ChannelMessage };

/**
 * Channels across the workers of one machine: the primary numbers each event, keeps the history and
 * sends the event to every worker, the publishing one included, so all see the same order.
 */
export class ClusterTransport implements ChannelTransport {
    readonly #deliver: Deliver;
    readonly #waiting = new Map<number, (reply: Reply) => void>();
    #lastRequest = 0;

    constructor({ deliver }: TransportOptions) {
        this.#deliver = deliver;
        process.on("message", this.#onMessage);
    }

    async publish(channel: string, event: string | undefined, data: string, key?: string): Promise<number> {
        const reply = await this.#ask({ vshs: "channel-publish", request: 0, channel, event, data, key });
        return reply.id!;
    }

    async replay(channel: string, afterId: number): Promise<Replay> {
        const reply = await this.#ask({ vshs: "channel-replay", request: 0, channel, afterId });
        return reply.replay!;
    }

    /** None: the primary keeps the channels. */
    keptChannels(): number {
        return 0;
    }

    async close(): Promise<void> {
        process.off("message", this.#onMessage);
    }

    readonly #onMessage = (message: Delivery | Reply) => {
        if (message?.vshs === "channel-event") this.#deliver(message.channel, message.message);
        else if (message?.vshs === "channel-reply") {
            this.#waiting.get(message.request)?.(message);
            this.#waiting.delete(message.request);
        }
    };

    #ask(request: Request): Promise<Reply> {
        return new Promise((resolve, reject) => {
            request.request = ++this.#lastRequest;
            this.#waiting.set(request.request, resolve);
            process.send!(request, undefined, undefined, (error: Error | null) => {
                if (error === null) return;
                this.#waiting.delete(request.request);
                reject(new Error(`The cluster primary cannot be reached for channels: ${error.message}`));
            });
        });
    }
}

/** The primary's side: numbers, keeps and relays the events its workers publish; returns what it keeps. */
export function relayChannels(history: number, channelsKept = defaultChannelsKept): ChannelHistory {
    const kept = new ChannelHistory(history, channelsKept);
    cluster.on("message", (worker: Worker, request: Request) => {
        if (request?.vshs === "channel-publish") {
            const earlier = kept.publishedWith(request.channel, request.key);
            if (earlier !== undefined) return reply(worker, { vshs: "channel-reply", request: request.request, id: earlier });
            const message = kept.add(request.channel, request.event, request.data, request.key);
            const delivery: Delivery = { vshs: "channel-event", channel: request.channel, message };
            for (const each of Object.values(cluster.workers ?? {})) if (each?.isConnected()) each.send(delivery);
            reply(worker, { vshs: "channel-reply", request: request.request, id: message.id });
        } else if (request?.vshs === "channel-replay") {
            reply(worker, { vshs: "channel-reply", request: request.request, replay: kept.replay(request.channel, request.afterId) });
        }
    });
    return kept;
}

function reply(worker: Worker, message: Reply): void {
    if (worker.isConnected()) worker.send(message);
}
