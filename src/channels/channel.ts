import cluster from "node:cluster";
import { StartupError } from "../errors.ts";
import { channelHub, follow, keptChannels, writeFrame } from "../symbols.ts";
import { defaultChannelHistory, defaultChannelsKept, defaultRedisTimeout } from "../options.ts";
import { assertFieldValue, eventFrame } from "../response/event-frame.ts";
import { SSEResponse, type Followable } from "../response/event-stream.ts";
import { LocalTransport } from "./local.ts";
import { PublishError } from "./publish-error.ts";
import { hidePassword, type ChannelMessage, type ChannelTransport, type LostEvents, type TransportOptions } from "./transport.ts";

/** The event a follower gets when its Last-Event-ID is older than the history kept, or events were lost: it must reload. */
export const resetEvent = "vshs-reset";

/** Publish keys are kept in memory or in Redis for minutes: a bound on what each may cost. */
const longestKey = 200;

/** For tests, on the shared hub: resolves with how many channels this process keeps something for. */
export { keptChannels };

/** How channels travel, decided by the server's options and environment, never by route code. */
export interface ChannelSettings {
    /** Events kept per channel for clients that reconnect. */
    history: number;
    /** How many channels keep their events: those most recently published to (default `defaultChannelsKept`). */
    channelsKept?: number;
    /** Through Redis when set (the `redisUrl` option, or REDIS_URL). */
    redisUrl: string | undefined;
    /** How long a Redis command may take, in ms (default `defaultRedisTimeout`; 0: no limit). */
    redisTimeout?: number;
}

/** Channels used from code when no server has configured them (a script publishing, a test). */
const defaultSettings: ChannelSettings = { history: defaultChannelHistory, redisUrl: undefined };

type Follower = (message: ChannelMessage | LostEvents) => void;

/**
 * The channels of this process: their followers here, and the one transport they travel by. Kept on
 * globalThis so that routes importing their own copy of vshs share it with the server.
 */
class ChannelHub {
    readonly #followers = new Map<string, Set<Follower>>();
    readonly #frames = new WeakMap<ChannelMessage, string>();
    #transport: Promise<ChannelTransport> | undefined;
    #kind = "";
    #users = 0;

    /** A server starts using channels with these settings; resolves, once connected, with what it calls when it stops. */
    async use(settings: ChannelSettings): Promise<() => Promise<void>> {
        const kind = transportKind(settings);
        if (this.#users > 0 && kind !== this.#kind) {
            throw new StartupError(`The servers of one process share their channels, and these already go ${this.#kind}: a second server cannot send them ${kind}`);
        }
        if (this.#transport === undefined || kind !== this.#kind) this.#replace(kind, settings);
        this.#users++;
        let released = false;
        const release = async () => {
            if (released) return;
            released = true;
            if (--this.#users === 0) await this.#close();
        };
        try {
            await this.#transport;
        } catch (error) {
            await release();
            throw new StartupError((error as Error).message);
        }
        return release;
    }

    /** The transport, made in-process on first use if no server chose one. */
    transport(): Promise<ChannelTransport> {
        if (this.#transport === undefined) this.#replace(transportKind(defaultSettings), defaultSettings);
        return this.#transport!;
    }

    /** Starts handing this channel's messages to `follower`; returns how to stop. */
    follow(channel: string, follower: Follower): () => void {
        let followers = this.#followers.get(channel);
        if (followers === undefined) {
            this.#followers.set(channel, (followers = new Set()));
            this.transport().then((transport) => transport.followed?.(channel), () => {});
        }
        followers.add(follower);
        return () => {
            followers.delete(follower);
            if (followers.size === 0 && this.#followers.get(channel) === followers) this.#followers.delete(channel);
        };
    }

    /** Channels followed here, and channels the transport keeps something for; creates no transport. */
    async [keptChannels](): Promise<{ followed: number; kept: number }> {
        const transport = await this.#transport?.catch(() => undefined);
        return { followed: this.#followers.size, kept: transport?.keptChannels() ?? 0 };
    }

    /** The event's text, made once however many streams it goes to. */
    frame(message: ChannelMessage): string {
        let frame = this.#frames.get(message);
        if (frame === undefined) this.#frames.set(message, (frame = eventFrame({ id: message.id, event: message.event, data: message.data })));
        return frame;
    }

    readonly #deliver = (channel: string, message: ChannelMessage | LostEvents): boolean => {
        const followers = this.#followers.get(channel);
        if (followers === undefined) return false;
        for (const follower of followers) follower(message);
        return true;
    };

    #replace(kind: string, settings: ChannelSettings): void {
        const previous = this.#transport;
        this.#kind = kind;
        this.#transport = createTransport(settings, {
            deliver: this.#deliver,
            history: settings.history,
            channelsKept: settings.channelsKept ?? defaultChannelsKept,
            redisTimeout: settings.redisTimeout ?? defaultRedisTimeout,
        });
        this.#transport.catch(() => {}); // reported to whoever awaits it
        void previous?.then((transport) => transport.close()).catch(() => {});
    }

    async #close(): Promise<void> {
        const transport = this.#transport;
        this.#transport = undefined;
        this.#kind = "";
        await transport?.then((each) => each.close()).catch(() => {});
    }
}

function transportKind({ history, channelsKept = defaultChannelsKept, redisUrl }: ChannelSettings): string {
    const via = redisUrl ? `through Redis at ${hidePassword(redisUrl)}` : clusterChannels() ? "through the cluster primary" : "within this process";
    return `${via} (history ${history}, kept for ${channelsKept} channels)`;
}

/** A worker started by `vshs --workers`, whose primary relays channels. */
function clusterChannels(): boolean {
    return cluster.isWorker && process.env.VSHS_CHANNELS === "cluster";
}

async function createTransport(settings: ChannelSettings, options: TransportOptions): Promise<ChannelTransport> {
    if (settings.redisUrl) {
        const { RedisTransport } = await import("./redis.ts");
        return RedisTransport.connect(settings.redisUrl, options);
    }
    if (clusterChannels()) {
        const { ClusterTransport } = await import("./cluster.ts");
        return new ClusterTransport(options);
    }
    return new LocalTransport(options);
}

const hubKey = channelHub;
const hub: ChannelHub = ((globalThis as Record<symbol, ChannelHub | undefined>)[hubKey] ??= new ChannelHub());

/** Called by startHTTPServer (a transport that cannot connect is a StartupError); the function it resolves with, by close(). */
export function useChannels(settings: ChannelSettings): Promise<() => Promise<void>> {
    return hub.use(settings);
}

/**
 * A named stream of events that any handler may publish to and any event stream may follow, in this
 * process, across `--workers`, or across machines through Redis, as the server is configured.
 */
export class Channel implements Followable {
    readonly name: string;

    constructor(name: string) {
        if (typeof name !== "string" || name === "") throw new TypeError("A channel needs a name");
        this.name = name;
    }

    /**
     * Sends an event to every follower, wherever it is connected; resolves with the event's id. Rejects
     * with a `PublishError` (a 503) when it cannot: `mayBePublished` says whether the event may reach
     * followers all the same. With `{ key }` (an idempotency key, say the client's), a retry with the
     * same key within ten minutes publishes nothing again and resolves with the first one's id.
     */
    async publish(data: unknown, event?: string, { key }: { key?: string } = {}): Promise<string> {
        if (event !== undefined) assertFieldValue("event name", event);
        if (key !== undefined && (typeof key !== "string" || key === "" || key.length > longestKey)) throw new TypeError(`A publish key is a string of 1 to ${longestKey} characters`);
        const text = JSON.stringify(data) ?? "";
        try {
            const transport = await hub.transport();
            return String(await transport.publish(this.name, event === "" ? undefined : event, text, key));
        } catch (error) {
            throw new PublishError(this.name, error);
        }
    }

    /** An event stream that follows this channel: `return channel("chat").stream()`. */
    stream(): SSEResponse {
        return new SSEResponse((self) => self.subscribe(this));
    }

    /**
     * Sends the stream the events it missed (by its Last-Event-ID) or, if they are no longer kept, a
     * `vshs-reset` event; then each new event until the stream ends. Every event goes out once, in order.
     */
    async [follow](stream: SSEResponse): Promise<void> {
        let lastSent = -Infinity;
        let clientHas = stream.lastEventId ?? "";
        let waiting: (ChannelMessage | LostEvents)[] | null = [];
        // The client must reload: events up to `latestId` will not reach it. Later ones still do.
        const reset = (latestId: number) => {
            lastSent = latestId;
            void stream[writeFrame](eventFrame({ event: resetEvent, id: latestId, data: { channel: this.name, lastEventId: clientHas } }));
            clientHas = String(latestId);
        };
        const send = (message: ChannelMessage | LostEvents) => {
            if ("lost" in message) return reset(message.lastId);
            if (message.id <= lastSent) return;
            lastSent = message.id;
            clientHas = String(message.id);
            void stream[writeFrame](hub.frame(message));
        };
        // Following starts before the history is read, so no event falls between the two.
        const stop = hub.follow(this.name, (message) => (waiting === null ? send(message) : waiting.push(message)));
        stream.signal.addEventListener("abort", stop, { once: true });
        try {
            const transport = await hub.transport();
            const lastEventId = stream.lastEventId;
            if (lastEventId !== undefined && lastEventId !== "") {
                const replay = await transport.replay(this.name, /^\d{1,16}$/.test(lastEventId) ? Number(lastEventId) : NaN);
                if ("tooOld" in replay) {
                    reset(replay.latestId);
                } else {
                    for (const message of replay.missed) send(message);
                }
            }
        } catch (error) {
            stop();
            throw error;
        }
        const arrived = waiting;
        waiting = null;
        for (const message of arrived) send(message);
    }
}

/** The channel of this name: `channel("chat").publish({ text })`, `return channel("chat").stream()`. */
export function channel(name: string): Channel {
    return new Channel(name);
}
