import { keyLifetime, type ChannelMessage, type Replay } from "./transport.ts";

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
    /** Publish keys and the ids their events got, oldest first (one lifetime for all, so also first to expire). */
    readonly #keys = new Map<string, { id: number; expires: number }>();

    constructor(eventsKept: number, channelsKept: number) {
        this.#eventsKept = eventsKept;
        this.#channelsKept = Math.max(1, channelsKept);
    }

    /** The id the event published with this key got, while the key is remembered (see `keyLifetime`). */
    publishedWith(channel: string, key: string | undefined): number | undefined {
        return key === undefined ? undefined : this.#earlierId(`${channel}\u0000${key}`);
    }

    /** Numbers an event and keeps it, and its publish key if it has one. */
    add(channel: string, event: string | undefined, data: string, key?: string): ChannelMessage {
        const known = this.#channels.get(channel);
        const kept = known ?? { lastId: this.#unkeptLastId, events: [] };
        this.#channels.delete(channel);
        this.#channels.set(channel, kept);
        const message: ChannelMessage = known === undefined ? { id: ++kept.lastId, event, data, first: true } : { id: ++kept.lastId, event, data };
        if (key !== undefined) this.#keys.set(`${channel}\u0000${key}`, { id: message.id, expires: Date.now() + keyLifetime });
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

    /** The id a key's event got, if the key is still remembered; forgets expired keys, and the oldest past `channelsKept` (a bound as good as any). */
    #earlierId(keyName: string): number | undefined {
        const now = Date.now();
        for (const [name, { expires }] of this.#keys) {
            if (expires > now && this.#keys.size < this.#channelsKept) break;
            this.#keys.delete(name);
        }
        return this.#keys.get(keyName)?.id;
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
 * The events after `afterId`, given the channel's last id and the last events kept (oldest first; from
 * Redis, only those after `afterId`). An id from before what is kept, or from the future
 * (another run of the server), cannot be resumed; nor can one whose events are not all kept one after
 * the other (a process sharing the Redis that keeps no history): a skipped event is never silent.
 */
export function replayFrom({ lastId, events }: { lastId: number; events: readonly ChannelMessage[] }, afterId: number): Replay {
    if (!Number.isSafeInteger(afterId) || afterId > lastId) return { tooOld: true, latestId: lastId };
    const tail = consecutiveTail(events, lastId);
    const count = lastId - afterId;
    return count <= tail.length ? { missed: tail.slice(tail.length - count) } : { tooOld: true, latestId: lastId };
}

/** The last events that follow each other and end at `lastId` (none if the last kept is not `lastId`). */
export function consecutiveTail(events: readonly ChannelMessage[], lastId: number): ChannelMessage[] {
    let start = events.length;
    while (start > 0 && events[start - 1]!.id === lastId - (events.length - start)) start--;
    return events.slice(start);
}
