import cluster from "node:cluster";
import { StartupError } from "../errors.ts";
import { channelHub, keptChannels } from "../symbols.ts";
import { defaultChannelHistory, defaultChannelsKept, defaultRedisTimeout } from "../options.ts";
import { LocalTransport } from "./local.ts";
import { hidePassword, type ChannelMessage, type ChannelTransport, type LostEvents, type TransportOptions } from "./transport.ts";

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
            if (followers.size > 0 || this.#followers.get(channel) !== followers) return;
            this.#followers.delete(channel);
            void this.#transport?.then((transport) => transport.unfollowed?.(channel), () => {});
        };
    }

    /** Channels followed here, and channels the transport keeps something for; creates no transport. */
    async [keptChannels](): Promise<{ followed: number; kept: number }> {
        const transport = await this.#transport?.catch(() => undefined);
        return { followed: this.#followers.size, kept: transport?.keptChannels() ?? 0 };
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
export const hub: ChannelHub = ((globalThis as Record<symbol, ChannelHub | undefined>)[hubKey] ??= new ChannelHub());

/** Called by startHTTPServer (a transport that cannot connect is a StartupError); the function it resolves with, by close(). */
export function useChannels(settings: ChannelSettings): Promise<() => Promise<void>> {
    return hub.use(settings);
}
