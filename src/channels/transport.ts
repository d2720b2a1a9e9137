/** One published event as every transport carries it; `data` is already text (JSON unless published as a string). */
export interface ChannelMessage {
    /** Increasing within a channel, across every process and machine that shares it. */
    id: number;
    event: string | undefined;
    data: string;
    /** The first event of a new counter (a new channel, one let go of, Redis restarted): no gap before it. */
    first?: boolean;
}

/**
 * Word, in place of events, that followers here missed events nobody can send them any more (the
 * subscription to Redis was away longer than the history covers): their clients must reload. `lastId`
 * is the last id missed, from the channel's own counter, so that every event after it still arrives.
 */
export interface LostEvents {
    lost: true;
    lastId: number;
}

/** What a client that reconnects with a Last-Event-ID gets: the events it missed, or word that some are gone. */
export type Replay = { missed: ChannelMessage[] } | { tooOld: true; latestId: number };

/** Hands a message, or word of lost ones, to the followers of a channel in this process; false when it has none here. */
export type Deliver = (channel: string, message: ChannelMessage | LostEvents) => boolean;

/**
 * How published events travel: within one process, between the --workers of one machine, or between
 * machines. Every transport delivers each message to every process exactly once and in id order,
 * the publishing process included (through `deliver`, never directly).
 */
export interface ChannelTransport {
    /**
     * Gives the event the channel's next id and delivers it everywhere; resolves with that id. With a
     * `key` already used on this channel (within `keyLifetime`), publishes nothing and resolves with the
     * id that key's event got: a retry after an unknown outcome cannot publish twice.
     */
    publish(channel: string, event: string | undefined, data: string, key?: string): Promise<number>;
    /** The events after `afterId` still kept (at most `history` per channel). */
    replay(channel: string, afterId: number): Promise<Replay>;
    /** The channel has its first follower in this process: from now on, none of its events may be missed here. */
    followed?(channel: string): void;
    /** The channel's last follower in this process has gone: nothing need be kept for it here. */
    unfollowed?(channel: string): void;
    /** How many channels this process keeps something for between events (for tests). */
    keptChannels(): number;
    /** Lets go of connections and timers. */
    close(): Promise<void>;
}

/** What every transport is made with. */
export interface TransportOptions {
    deliver: Deliver;
    /** How many events each channel keeps for clients that reconnect. */
    history: number;
    /** How many channels keep their ids and events: those most recently published to. */
    channelsKept: number;
    /** How long a Redis command may take before it fails, in ms (0: no limit). */
    redisTimeout: number;
}

/** How long a publish key is remembered, in ms: long enough for a client to retry after a timeout. */
export const keyLifetime = 10 * 60_000;

/** A transport's URL as messages and logs may show it: without its password. */
export function hidePassword(url: string): string {
    try {
        const parsed = new URL(url);
        if (parsed.password !== "") parsed.password = "***";
        return parsed.href;
    } catch {
        return url;
    }
}
