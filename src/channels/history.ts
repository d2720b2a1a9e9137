import type { ChannelMessage, Replay } from "./transport.ts";

/** How many channels keep their ids and events unless configured: those most recently published to. */
export { defaultChannelsKept } from "../options.ts";

/** What is kept of one channel: its last id and its recent events, oldest first. */
interface KeptChannel {
    lastId: number;
    events: ChannelMessage[];
}

/**
 * The ids and recent events of channels, kept by whichever process numbers them (the only process,
 * or the cluster primary). Ids start from the clock, so that after a restart they are larger than any
 * id a client kept from before, and such a client is told it missed events instead of being sent
 * events it already has.
 *
 * Channel names often come from clients (`channel(route.vars.room)`), so nothing is kept for a channel
 * only read, and only the `channelsKept` channels most recently published to are kept. A channel let
 * go of numbers on from above every id it gave, so that a client holding one is told to reload.
 */
export class ChannelHistory {
    readonly #eventsKept: number;
    readonly #channelsKept: number;
    /** Least recently published to first: a Map iterates in insertion order, and a publish re-inserts. */
    readonly #channels = new Map<string, KeptChannel>();
    /** The last id of any channel with nothing kept: below the first id it will give, and not below any id of a channel let go of. */
    #unkeptLastId = Date.now() * 1000 - 1;

    constructor(eventsKept: number, channelsKept: number) {
        this.#eventsKept = eventsKept;
        this.#channelsKept = Math.max(1, channelsKept);
    }

    /** Numbers an event and keeps it. */
    add(channel: string, event: string | undefined, data: string): ChannelMessage {
        const kept = this.#channels.get(channel) ?? { lastId: this.#unkeptLastId, events: [] };
        this.#channels.delete(channel);
        this.#channels.set(channel, kept);
        const message = { id: ++kept.lastId, event, data };
        kept.events.push(message);
        if (kept.events.length > this.#eventsKept) kept.events.splice(0, kept.events.length - this.#eventsKept);
        this.#letGoOfOldest();
        return message;
    }

    /** What a client that reconnects after `afterId` missed; keeps nothing for a channel not kept. */
    replay(channel: string, afterId: number): Replay {
        return replayFrom(this.#channels.get(channel) ?? { lastId: this.#unkeptLastId, events: [] }, afterId);
    }

    /** How many channels are kept (at most `channelsKept`). */
    get size(): number {
        return this.#channels.size;
    }

    #letGoOfOldest(): void {
        for (const [channel, kept] of this.#channels) {
            if (this.#channels.size <= this.#channelsKept) return;
            this.#channels.delete(channel);
            this.#unkeptLastId = Math.max(this.#unkeptLastId, kept.lastId);
        }
    }
}

/**
 * The events after `afterId`, given the channel's last id and the events still kept (oldest first).
 * An id from before what is kept, or from the future (another run of the server), cannot be resumed.
 */
export function replayFrom({ lastId, events }: { lastId: number; events: readonly ChannelMessage[] }, afterId: number): Replay {
    const oldestKept = events.length > 0 ? events[0]!.id : lastId + 1;
    if (!Number.isSafeInteger(afterId) || afterId < oldestKept - 1 || afterId > lastId) return { tooOld: true, latestId: lastId };
    return { missed: events.filter((message) => message.id > afterId) };
}
