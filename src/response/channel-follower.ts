import { channelEvent, channelReset, follow } from "../symbols.ts";

/** An event as a channel hands it to its followers: `data` is already JSON text. */
export interface FollowedEvent {
    id: number;
    event: string | undefined;
    data: string;
}

/** What follows a channel: an event stream (SSE frames) or a WebSocket (JSON text frames). */
export interface ChannelFollower {
    readonly signal: AbortSignal;
    /** The id of the last event the client has, to resume after (Last-Event-ID, or a WebSocket's `lastEventId` query parameter). */
    readonly lastEventId: string | undefined;
    /** Sends one event, without waiting (a channel does not wait for one slow follower). */
    [channelEvent](event: FollowedEvent): void;
    /** Sends `vshs-reset`: events up to `id` will not reach this client, which must reload. */
    [channelReset](id: number, data: { channel: string; lastEventId: string }): void;
}

/** Something a follower can follow (a channel): it sends to the follower until the follower ends. */
export interface Followable {
    [follow](follower: ChannelFollower): Promise<void>;
}

/** A channel's events as WebSocket text frames, `{ "id", "event", "data" }`, made once per event however many sockets follow. */
const socketFrames = new WeakMap<FollowedEvent, string>();
export function socketFrame(event: FollowedEvent): string {
    let frame = socketFrames.get(event);
    if (frame === undefined) {
        // `data` is JSON text already (publish() encodes it; "" for undefined): it goes in as a value, not encoded again.
        socketFrames.set(event, (frame = `{"id":"${event.id}","event":${JSON.stringify(event.event ?? "message")},"data":${event.data === "" ? "null" : event.data}}`));
    }
    return frame;
}
