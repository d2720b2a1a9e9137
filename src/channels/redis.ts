import { ErrorReply } from "@redis/client";
import { StartupError } from "../errors.ts";
import { replayFrom } from "./history.ts";
import { describe, RedisConnection } from "./redis-connection.ts";
import { historyKey, idKey, parseMessage, prefix } from "./redis-script.ts";
import { hidePassword, type ChannelMessage, type ChannelTransport, type Deliver, type Replay, type TransportOptions } from "./transport.ts";

/** A message from pub/sub: its channel, the event, and whether it starts a new counter (no gap before it). */
type Arrival = [channel: string, message: ChannelMessage, fresh: boolean];

/**
 * Channels across processes and machines through Redis: one atomic script numbers each event
 * (a counter per channel), keeps the last `history` of them (a list) and publishes it; every
 * process follows all channels on a second connection (PSUBSCRIBE) and hands each message to
 * its followers. Loaded only when a Redis URL is configured.
 */
export class RedisTransport implements ChannelTransport {
    readonly #commands: RedisConnection;
    readonly #subscriber: RedisConnection;
    readonly #deliver: Deliver;
    readonly #history: number;
    readonly #channelsKept: number;
    /**
     * The last id handed over, to notice events lost while the subscriber reconnected: only for channels
     * followed here (the others have nobody to catch up), for at most `channelsKept` of them, the one
     * handed an event longest ago first out (a Map iterates in insertion order).
     */
    readonly #lastDelivered = new Map<string, number>();
    /** While the events of a gap are fetched, the messages that arrive wait here, in order. */
    #backlog: Arrival[] | null = null;

    private constructor(url: string, { deliver, history, channelsKept }: TransportOptions) {
        this.#commands = new RedisConnection(url, "command");
        this.#subscriber = new RedisConnection(url, "subscriber");
        this.#deliver = deliver;
        this.#history = history;
        this.#channelsKept = Math.max(1, channelsKept);
    }

    /** Resolves once both connections are up and every channel is followed; rejects naming the URL if Redis cannot be reached. */
    static async connect(url: string, options: TransportOptions): Promise<RedisTransport> {
        let transport: RedisTransport;
        try {
            transport = new RedisTransport(url, options);
        } catch (error) {
            throw new StartupError(`Cannot use the Redis URL ${hidePassword(url)}: ${describe(error)}`);
        }
        try {
            await Promise.all([transport.#commands.open(), transport.#subscriber.open()]);
            await transport.#subscriber.client.pSubscribe(`${prefix}*`, (text, pubsubChannel) => transport.#received(pubsubChannel.slice(prefix.length), text));
        } catch (error) {
            transport.#commands.destroy();
            transport.#subscriber.destroy();
            const where = transport.#commands.shownUrl;
            throw new StartupError(error instanceof ErrorReply ? `Redis at ${where} refused the connection: ${describe(error)}` : `Cannot reach Redis at ${where}: ${describe(error)}`);
        }
        return transport;
    }

    async publish(channel: string, event: string | undefined, data: string): Promise<number> {
        // The script puts the id in front of this object's fields (JSON.stringify leaves out an undefined event).
        return this.#commands.ask(() => this.#commands.client.publishEvent(channel, Date.now() * 1000, this.#history, this.#channelsKept, JSON.stringify({ event, data })));
    }

    async replay(channel: string, afterId: number): Promise<Replay> {
        return replayFrom(await this.#kept(channel), afterId);
    }

    /** Channels whose last id is remembered here; Redis keeps the rest. */
    keptChannels(): number {
        return this.#lastDelivered.size;
    }

    async close(): Promise<void> {
        await Promise.all([this.#subscriber.close(), this.#commands.close()]);
    }

    /** The channel's last id and its kept events, read at one instant. */
    async #kept(channel: string): Promise<{ lastId: number; events: ChannelMessage[] }> {
        const [lastId, kept] = await this.#commands.ask(() => this.#commands.client.multi().get(idKey(channel)).lRange(historyKey(channel), 0, -1).exec());
        const events = (kept as unknown as string[]).flatMap((text) => parseMessage(text)?.message ?? []);
        // A channel never published to would start from the clock: any id a client holds is then from another run.
        return { lastId: lastId === null ? Date.now() * 1000 - 1 : Number(lastId), events };
    }

    #received(channel: string, text: string): void {
        const parsed = parseMessage(text);
        if (parsed === undefined) return console.error(`vshs: ignored a message on Redis channel ${prefix}${channel} that vshs did not publish: ${text.slice(0, 200)}`);
        if (this.#backlog !== null) this.#backlog.push([channel, parsed.message, parsed.fresh]);
        else this.#receive(channel, parsed.message, parsed.fresh);
    }

    #receive(channel: string, message: ChannelMessage, fresh: boolean): void {
        // A new counter (the channel was let go of, or Redis restarted) owes nothing to the ids before it.
        if (fresh) this.#lastDelivered.delete(channel);
        const last = this.#lastDelivered.get(channel);
        if (last !== undefined && message.id > last + 1) {
            // Ids of a channel follow each other: a jump means the subscriber was away. The history has what it missed.
            this.#backlog = [[channel, message, false]];
            void this.#fillGap(channel, last, message.id);
        } else {
            this.#hand(channel, message);
        }
    }

    async #fillGap(channel: string, last: number, arrived: number): Promise<void> {
        const lost = (from: number, to: number) =>
            console.error(`vshs: channel "${channel}": events ${from} to ${to} reached neither this process (its subscription to Redis was down) nor the history Redis keeps (too old, or Redis restarted empty): followers here miss them`);
        try {
            const found = (await this.#kept(channel)).events.filter((message) => message.id > last && message.id < arrived);
            if (found.length === 0) lost(last + 1, arrived - 1);
            else if (found[0]!.id > last + 1) lost(last + 1, found[0]!.id - 1);
            for (const message of found) this.#hand(channel, message);
        } catch (error) {
            console.error(`vshs: channel "${channel}": could not fetch from Redis events ${last + 1} to ${arrived - 1}, missed while the subscription was down:`, error);
        }
        const handed = this.#lastDelivered.get(channel);
        if (handed !== undefined && handed < arrived - 1) this.#remember(channel, arrived - 1);
        const waiting = this.#backlog!;
        this.#backlog = null;
        for (let index = 0; index < waiting.length; index++) {
            const backlog = this.#backlog as typeof waiting | null; // #receive may have met another gap
            if (backlog !== null) {
                backlog.push(...waiting.slice(index));
                break;
            }
            this.#receive(...waiting[index]!);
        }
    }

    /** Hands a message over once: pub/sub and the history may both bring it. */
    #hand(channel: string, message: ChannelMessage): void {
        const last = this.#lastDelivered.get(channel);
        if (last !== undefined && message.id <= last) return;
        let followed = true;
        try {
            followed = this.#deliver(channel, message);
        } catch (error) {
            console.error(`vshs: a follower of channel "${channel}" failed:`, error);
        }
        // Nobody here follows it: there is nothing to catch up on, and its name may come from a client.
        if (followed) this.#remember(channel, message.id);
        else this.#lastDelivered.delete(channel);
    }

    /** Re-inserted, so that the first entry is the channel handed an event longest ago. */
    #remember(channel: string, lastId: number): void {
        this.#lastDelivered.delete(channel);
        this.#lastDelivered.set(channel, lastId);
        if (this.#lastDelivered.size > this.#channelsKept) this.#lastDelivered.delete(this.#lastDelivered.keys().next().value!);
    }
}
