import { consecutiveTail } from "./history.ts";
import { describe } from "./redis-connection.ts";
import type { ChannelMessage, Deliver } from "./transport.ts";

/** What Redis keeps of a channel: its last id (or, with no counter, an id below its next one) and events kept. */
export interface Kept {
    lastId: number;
    counter: boolean;
    events: ChannelMessage[];
}

/** How followers read from Redis: the last id and the events after `afterId` (all kept when more were missed, if `allIfMore`). */
export type ReadKept = (channel: string, afterId: number, allIfMore: boolean) => Promise<Kept>;

/** What followers ask of Redis: reads, and a round trip on the subscription (it resolves only if the subscription is alive). */
export interface FollowersRedis {
    read: ReadKept;
    pingSubscription(): Promise<unknown>;
}

/** A message from pub/sub, with its channel. */
type Arrival = [channel: string, message: ChannelMessage];

/**
 * What the followers in this process were handed through Redis's pub/sub, and how what they missed
 * is made up for. Ids of a channel follow each other, so a jump shows a gap; and when the subscription
 * comes back after a loss, every channel followed here is checked at once, so that a quiet channel's
 * missed events do not wait for the next one. What the history still has is handed over in order;
 * what it no longer has becomes `LostEvents` (a `vshs-reset` for each stream), never a silent gap.
 */
export class RedisFollowers {
    readonly #deliver: Deliver;
    readonly #read: ReadKept;
    readonly #pingSubscription: () => Promise<unknown>;
    readonly #channelsKept: number;
    /**
     * The last id handed over: only for channels followed here (the others have nobody to catch up),
     * for at most `channelsKept` of them, the one handed an event longest ago first out (a Map iterates
     * in insertion order).
     */
    readonly #lastDelivered = new Map<string, number>();
    /**
     * Channels whose last id was read when they were first followed here: that event itself may still
     * be on its way through pub/sub (the read and the subscription are two connections), so it is handed.
     */
    readonly #tentative = new Set<string>();
    /** The channels followed here, as the hub said. */
    readonly #followed = new Set<string>();
    /** While missed events are fetched, the messages that arrive wait here, in order. */
    #backlog: Arrival[] | null = null;
    /** The channels whose missed events are still to be fetched, with the message that showed the gap, if one did. */
    readonly #toFill = new Map<string, ChannelMessage | undefined>();
    /** How many times the subscription was lost, and came back: a read that spans either cannot be trusted alone. */
    #losses = 0;
    #returns = 0;
    #closed = false;
    readonly #timers = new Set<ReturnType<typeof setTimeout>>();

    constructor(deliver: Deliver, redis: FollowersRedis, channelsKept: number) {
        this.#deliver = deliver;
        this.#read = redis.read;
        this.#pingSubscription = redis.pingSubscription;
        this.#channelsKept = Math.max(1, channelsKept);
    }

    /** How many channels this process remembers an id for. */
    get size(): number {
        return this.#lastDelivered.size;
    }

    /** A message from pub/sub. */
    received(channel: string, message: ChannelMessage): void {
        if (this.#backlog !== null) this.#backlog.push([channel, message]);
        else this.#receive(channel, message);
    }

    subscriptionLost(): void {
        this.#losses++;
    }

    /** The subscription is back after a loss: every channel followed here catches up. */
    subscriptionBack(): void {
        this.#returns++;
        this.#catchUp([...this.#lastDelivered.keys()]);
    }

    /**
     * The channel's first follower here: where it stands now is read, so that what is missed from then
     * on is made up for. The read and the subscription are two connections: a round trip on the
     * subscription after the read shows that it did not drop before the read (a drop this process has
     * not noticed yet would fail it). If it did, followers reload up to what the read found.
     */
    followed(channel: string): void {
        this.#followed.add(channel);
        if (this.#lastDelivered.has(channel)) return;
        const [losses, returns] = [this.#losses, this.#returns];
        let lastId: number;
        this.#read(channel, Number.MAX_SAFE_INTEGER, false)
            .then((kept) => ((lastId = kept.lastId), this.#pingSubscription().catch(() => {})))
            .then(
                () => {
                    if (this.#lastDelivered.has(channel) || !this.#followed.has(channel) || this.#closed) return;
                    if (losses === this.#losses) {
                        this.#remember(channel, lastId);
                        this.#tentative.add(channel);
                    } else this.#lose(channel, lastId);
                    // Back since the read was asked for: the catch-up then did not know this channel.
                    if (returns !== this.#returns) this.#catchUp([channel]);
                },
                () => {}, // Redis is away: the channel is caught up on from the first event that reaches here
            );
    }

    /** Nobody follows the channel here any more. */
    unfollowed(channel: string): void {
        this.#followed.delete(channel);
        if (!this.#toFill.has(channel)) this.#forget(channel);
    }

    close(): void {
        this.#closed = true;
        for (const timer of this.#timers) clearTimeout(timer);
    }

    #receive(channel: string, message: ChannelMessage): void {
        const last = this.#lastDelivered.get(channel);
        if (last === undefined || (message.id === last && this.#tentative.has(channel))) return this.#hand(channel, message);
        if (message.first) {
            // A new counter (the channel was let go of, or Redis restarted) owes nothing to the ids before
            // it, but if its ids do not go on above them (Redis's clock went back), clients must reload.
            if (message.id === last) return; // handed already, by a catch-up that read it from the history
            if (message.id < last) this.#lose(channel, message.id - 1);
            else this.#forget(channel);
            this.#hand(channel, message);
        } else if (message.id > last + 1) {
            this.#catchUp([channel], [channel, message]);
        } else {
            this.#hand(channel, message);
        }
    }

    /**
     * Hands followers here the events of `channels` they missed, or `LostEvents`; the messages that
     * arrive meanwhile wait, then go on in order. `arrival`: the message whose id showed the gap.
     */
    #catchUp(channels: string[], arrival?: Arrival): void {
        for (const channel of channels) this.#toFill.set(channel, this.#toFill.get(channel) ?? arrival?.[1]);
        if (this.#backlog !== null) return; // a catch-up is running: it takes these channels too
        this.#backlog = arrival === undefined ? [] : [arrival];
        void (async () => {
            for (const [channel, shownBy] of this.#toFill) {
                this.#toFill.delete(channel);
                await this.#fill(channel, shownBy);
            }
            const arrived = this.#backlog!;
            this.#backlog = null;
            for (let index = 0; index < arrived.length; index++) {
                if (this.#backlog !== null) {
                    (this.#backlog as Arrival[]).push(...arrived.slice(index)); // #receive met another gap
                    break;
                }
                this.#receive(...arrived[index]!);
            }
        })();
    }

    /** Fills the gap of one channel after its last id handed here, up to the latest. */
    async #fill(channel: string, arrival: ChannelMessage | undefined): Promise<void> {
        const last = this.#lastDelivered.get(channel);
        if (last === undefined || this.#closed) return;
        let kept: Kept;
        try {
            kept = await this.#read(channel, last, true);
        } catch (error) {
            const why = describe(error);
            if (arrival === undefined) {
                console.error(`vshs: channel "${channel}": could not read from Redis the events after ${last} to catch up (trying again in a second): ${why}`);
                this.#after(1000, () => this.#catchUp([channel]));
            } else {
                console.error(`vshs: channel "${channel}": could not read from Redis events ${last + 1} to ${arrival.id - 1}, which did not reach this process: followers here are told to reload (vshs-reset): ${why}`);
                this.#lose(channel, arrival.id - 1);
            }
            return;
        }
        if (!kept.counter) return; // nothing published since Redis restarted empty or let the channel go: nothing missed
        if (kept.lastId < last) return this.#lose(channel, kept.lastId); // Redis came back with older data: these ids come again
        const events = kept.events.filter((message) => message.id > last);
        if (events[0]?.first === true && kept.events[0] === events[0]) this.#forget(channel); // a new counter, all kept
        else {
            const tail = consecutiveTail(events, kept.lastId);
            const from = tail.length > 0 ? tail[0]!.id : kept.lastId + 1;
            if (from > last + 1) {
                console.error(`vshs: channel "${channel}": events ${last + 1} to ${from - 1} were missed here (the subscription to Redis was away) and are no longer kept: followers here are told to reload (vshs-reset)`);
                this.#lose(channel, from - 1);
            }
            events.splice(0, events.length - tail.length);
        }
        for (const message of events) this.#hand(channel, message);
    }

    /** Tells followers here that events up to `lastId` are lost; the next event after it goes on. */
    #lose(channel: string, lastId: number): void {
        if (this.#deliver(channel, { lost: true, lastId })) this.#remember(channel, lastId);
        else this.#forget(channel);
    }

    /** Hands a message over once: pub/sub and the history may both bring it. */
    #hand(channel: string, message: ChannelMessage): void {
        const last = this.#lastDelivered.get(channel);
        if (last !== undefined && message.id <= last && !(message.id === last && this.#tentative.has(channel))) return;
        let followed = true;
        try {
            followed = this.#deliver(channel, message);
        } catch (error) {
            console.error(`vshs: a follower of channel "${channel}" failed:`, error);
        }
        // Nobody here follows it: there is nothing to catch up on, and its name may come from a client.
        if (followed) this.#remember(channel, message.id);
        else this.#forget(channel);
    }

    /** Re-inserted, so that the first entry is the channel handed an event longest ago. */
    #remember(channel: string, lastId: number): void {
        this.#forget(channel);
        this.#lastDelivered.set(channel, lastId);
        if (this.#lastDelivered.size > this.#channelsKept) this.#forget(this.#lastDelivered.keys().next().value!);
    }

    #forget(channel: string): void {
        this.#lastDelivered.delete(channel);
        this.#tentative.delete(channel);
    }

    #after(ms: number, then: () => void): void {
        if (this.#closed) return;
        const timer = setTimeout(() => (this.#timers.delete(timer), then()), ms);
        timer.unref?.();
        this.#timers.add(timer);
    }
}
