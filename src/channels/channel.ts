import { channelEvent, channelReset, follow, keptChannels } from "../symbols.ts";
import { assertFieldValue } from "../response/event-frame.ts";
import { SSEResponse } from "../response/event-stream.ts";
import type { ChannelFollower, Followable } from "../response/channel-follower.ts";
import { hub } from "./hub.ts";
import { PublishError } from "./publish-error.ts";
import type { ChannelMessage, LostEvents } from "./transport.ts";

/** The event a follower gets when its Last-Event-ID is older than the history kept, or events were lost: it must reload. */
export const resetEvent = "vshs-reset";

/** Publish keys are kept in memory or in Redis for minutes: a bound on what each may cost. */
const longestKey = 200;

/** For tests, on the shared hub: resolves with how many channels this process keeps something for. */
export { keptChannels };

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
     * Sends the follower (an event stream, a WebSocket) the events it missed (by its last event id) or,
     * if they are no longer kept, a `vshs-reset` event; then each new event until it ends. Every event
     * goes out once, in order.
     */
    async [follow](stream: ChannelFollower): Promise<void> {
        let lastSent = -Infinity;
        let clientHas = stream.lastEventId ?? "";
        let waiting: (ChannelMessage | LostEvents)[] | null = [];
        // The client must reload: events up to `latestId` will not reach it. Later ones still do.
        const reset = (latestId: number) => {
            lastSent = latestId;
            stream[channelReset](latestId, { channel: this.name, lastEventId: clientHas });
            clientHas = String(latestId);
        };
        const send = (message: ChannelMessage | LostEvents) => {
            if ("lost" in message) return reset(message.lastId);
            if (message.id <= lastSent) return;
            lastSent = message.id;
            clientHas = String(message.id);
            stream[channelEvent](message);
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
