import type { ChannelMessage, Replay } from "./transport.ts";

/**
 * The ids and recent events of channels, kept by whichever process numbers them (the only process,
 * or the cluster primary). Ids start from the clock, so that after a restart they are larger than any
 * id a client kept from before, and such a client is told it missed events instead of being sent
 * events it already has.
 */
export class ChannelHistory {
    readonly #limit: number;
    readonly #channels = new Map<string, { lastId: number; events: ChannelMessage[] }>();
    readonly #firstId = Date.now() * 1000;

    constructor(limit: number) {
        this.#limit = limit;
    }

    /** Numbers an event and keeps it. */
    add(channel: string, event: string | undefined, data: string): ChannelMessage {
        const kept = this.#kept(channel);
        const message = { id: ++kept.lastId, event, data };
        kept.events.push(message);
        if (kept.events.length > this.#limit) kept.events.splice(0, kept.events.length - this.#limit);
        return message;
    }

    replay(channel: string, afterId: number): Replay {
        return replayFrom(this.#kept(channel), afterId);
    }

    #kept(channel: string) {
        let kept = this.#channels.get(channel);
        if (kept === undefined) this.#channels.set(channel, (kept = { lastId: this.#firstId - 1, events: [] }));
        return kept;
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
