import { ErrorReply } from "@redis/client";
import { StartupError } from "../errors.ts";
import { replayFrom } from "./history.ts";
import { describe, RedisConnection } from "./redis-connection.ts";
import { RedisFollowers, type Kept } from "./redis-followers.ts";
import { parseMessage, prefix } from "./redis-script.ts";
import { hidePassword, type ChannelTransport, type Replay, type TransportOptions } from "./transport.ts";

/** Servers using one Redis hold their channel settings there this long, refreshing them at a third of it. */
const settingsLifetime = 30_000;
/** How long a catch-up waits for the command connection to come back (it is tried again later if not). */
const catchUpWait = 5000;

/**
 * Channels across processes and machines through Redis: one atomic script numbers each event
 * (a counter per channel), keeps the last `history` of them (a list) and publishes it; every
 * process follows all channels on a second connection (PSUBSCRIBE) and hands each message to
 * its followers. Loaded only when a Redis URL is configured.
 *
 * Followers here get every event once, in order, or word that some are lost (RedisFollowers).
 */
export class RedisTransport implements ChannelTransport {
    readonly #commands: RedisConnection;
    readonly #subscriber: RedisConnection;
    readonly #history: number;
    readonly #channelsKept: number;
    readonly #followers: RedisFollowers;
    readonly #reads = new Map<string, Promise<Kept>>();
    #lastSettingsSeen = "";
    #closed = false;
    #timers = new Set<ReturnType<typeof setTimeout>>();

    private constructor(url: string, { deliver, history, channelsKept, redisTimeout }: TransportOptions) {
        this.#commands = new RedisConnection(url, "command", { timeout: redisTimeout });
        this.#subscriber = new RedisConnection(url, "subscriber", { onLost: () => this.#followers.subscriptionLost(), onBack: () => this.#followers.subscriptionBack() });
        this.#history = history;
        this.#channelsKept = Math.max(1, channelsKept);
        this.#followers = new RedisFollowers(
            deliver,
            {
                // Both connections come back after Redis does, in any order: the subscription's catch-up waits for the other.
                read: (channel, afterId, allIfMore) => this.#commands.whenReady(catchUpWait).then(() => this.#read(channel, afterId, allIfMore)),
                pingSubscription: () => this.#subscriber.ask(() => this.#subscriber.client.ping()),
            },
            channelsKept,
        );
    }

    /** Resolves once both connections are up and every channel is followed; rejects naming the URL if Redis cannot be reached. */
    static async connect(url: string, options: TransportOptions): Promise<RedisTransport> {
        let transport: RedisTransport;
        try {
            transport = new RedisTransport(url, options);
        } catch (error) {
            throw new StartupError(`Cannot use the Redis URL ${hidePassword(url)}: ${describe(error)}`);
        }
        const where = transport.#commands.shownUrl;
        let held: string;
        try {
            await Promise.all([transport.#commands.open(), transport.#subscriber.open()]);
            held = await transport.#holdSettings();
            if (held === transport.#settings) await transport.#subscriber.client.pSubscribe(`${prefix}*`, (text, pubsubChannel) => transport.#received(pubsubChannel.slice(prefix.length), text));
        } catch (error) {
            await transport.close();
            throw new StartupError(error instanceof ErrorReply ? `Redis at ${where} refused the connection: ${describe(error)}` : `Cannot reach Redis at ${where}: ${describe(error)}`);
        }
        if (held !== transport.#settings) {
            await transport.close();
            throw new StartupError(
                `The vshs servers using Redis at ${where} keep channels with ${held}; this one was started with ${transport.#settings}: give every server the same --channel-history and --channels-kept (the settings are held while a server using them runs, and ${settingsLifetime / 1000} s after)`,
            );
        }
        transport.#every(settingsLifetime / 3, () => void transport.#holdSettings().catch(() => {}));
        return transport;
    }

    async publish(channel: string, event: string | undefined, data: string, key?: string): Promise<number> {
        // The script puts the id in front of this object's fields (JSON.stringify leaves out an undefined event).
        return this.#commands.ask(() => this.#commands.client.publishEvent(channel, this.#history, this.#channelsKept, JSON.stringify({ event, data }), key));
    }

    async replay(channel: string, afterId: number): Promise<Replay> {
        const kept = await this.#read(channel, afterId, false);
        return kept.counter ? replayFrom(kept, afterId) : { tooOld: true, latestId: kept.lastId };
    }

    followed(channel: string): void {
        this.#followers.followed(channel);
    }

    unfollowed(channel: string): void {
        this.#followers.unfollowed(channel);
    }

    /** Channels whose last id is remembered here; Redis keeps the rest. */
    keptChannels(): number {
        return this.#followers.size;
    }

    async close(): Promise<void> {
        this.#closed = true;
        this.#followers.close();
        for (const timer of this.#timers) clearTimeout(timer);
        await Promise.all([this.#subscriber.close(), this.#commands.close()]);
    }

    get #settings(): string {
        return `history ${this.#history}, kept for ${this.#channelsKept} channels`;
    }

    /** The settings every server using this Redis holds; this server's if none are held. */
    async #holdSettings(): Promise<string> {
        const held = await this.#commands.ask(() => this.#commands.client.holdSettings(this.#settings, settingsLifetime));
        if (held !== this.#settings && this.#lastSettingsSeen !== held) console.error(`vshs: the vshs servers using Redis at ${this.#commands.shownUrl} keep channels with ${held}, and this one with ${this.#settings}: clients resuming may be told to reload more often`);
        this.#lastSettingsSeen = held;
        return held;
    }

    /**
     * The channel's last id and the events kept after `afterId` (all kept when more were missed, if
     * `allIfMore`). Clients coming back together (after a deploy) mostly hold the same last id: one
     * read in flight serves all who ask for the same thing meanwhile.
     */
    #read(channel: string, afterId: number, allIfMore: boolean): Promise<Kept> {
        const key = `${allIfMore ? "all" : "after"} ${afterId} ${channel}`;
        let read = this.#reads.get(key);
        if (read === undefined) {
            this.#reads.set(key, (read = this.#readNow(channel, afterId, allIfMore)));
            void read.finally(() => this.#reads.delete(key)).catch(() => {});
        }
        return read;
    }

    async #readNow(channel: string, afterId: number, allIfMore: boolean): Promise<Kept> {
        const [lastId, counter, ...kept] = await this.#commands.ask(() => this.#commands.client.replayEvents(channel, Number.isSafeInteger(afterId) ? afterId : -1, allIfMore));
        return { lastId: Number(lastId), counter: counter === 1, events: kept.flatMap((text) => parseMessage(String(text)) ?? []) };
    }

    #received(channel: string, text: string): void {
        const message = parseMessage(text);
        if (message === undefined) return console.error(`vshs: ignored a message on Redis channel ${prefix}${channel} that vshs did not publish: ${text.slice(0, 200)}`);
        this.#followers.received(channel, message);
    }

    #after(ms: number, then: () => void): void {
        if (this.#closed) return;
        const timer = setTimeout(() => (this.#timers.delete(timer), then()), ms);
        timer.unref?.();
        this.#timers.add(timer);
    }

    #every(ms: number, then: () => void): void {
        this.#after(ms, () => (then(), this.#every(ms, then)));
    }
}
