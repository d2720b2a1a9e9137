/** One published event as every transport carries it; `data` is already text (JSON unless published as a string). */
export interface ChannelMessage {
    /** Increasing within a channel, across every process and machine that shares it. */
    id: number;
    event: string | undefined;
    data: string;
}

/** What a client that reconnects with a Last-Event-ID gets: the events it missed, or word that some are gone. */
export type Replay = { missed: ChannelMessage[] } | { tooOld: true; latestId: number };

/** Hands a message to the followers of a channel in this process; false when it has none here. */
export type Deliver = (channel: string, message: ChannelMessage) => boolean;

/**
 * How published events travel: within one process, between the --workers of one machine, or between
 * machines. Every transport delivers each message to every process exactly once and in id order,
 * the publishing process included (through `deliver`, never directly).
 */
export interface ChannelTransport {
    /** Gives the event the channel's next id and delivers it everywhere; resolves with that id. */
    publish(channel: string, event: string | undefined, data: string): Promise<number>;
    /** The events after `afterId` still kept (at most `history` per channel). */
    replay(channel: string, afterId: number): Promise<Replay>;
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
}

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
