import { defineScript } from "@redis/client";
import type { ChannelMessage } from "./transport.ts";

/** A channel `name` travels on the pub/sub channel `vshs:channel:<name>`; its keys add `:id` and `:history`. */
export const prefix = "vshs:channel:";

/** The channels that have keys, each scored by when it was last published to. */
const channelsKey = "vshs:channels";

/**
 * Numbers, keeps and publishes an event in one step, so that the order of publication is the order
 * of the ids whichever process publishes. A new counter starts from the clock, as ChannelHistory's
 * does, so that its ids are larger than any a client kept from a previous run; its first message says
 * `"fresh":true`, so that followers do not take the jump from older ids for lost events. Only the
 * `channelsKept` channels published to most recently keep their keys: channel names come from
 * clients. Lua's tostring would print a 16-digit id as 1.7e+15: %d does not.
 *
 * The keys of the channels let go of are named in the script, not passed in KEYS: which ones they are
 * is only known inside it. (Like the two keys of one channel, they need a single Redis, not a Cluster.)
 */
const publishScript = defineScript({
    SCRIPT: `
local id = redis.call('INCR', KEYS[1])
local fresh = id == 1
if fresh then
    id = tonumber(ARGV[1])
    redis.call('SET', KEYS[1], ARGV[1])
    redis.call('DEL', KEYS[2])
end
local message = string.format(fresh and '{"id":%d,"fresh":true,' or '{"id":%d,', id) .. string.sub(ARGV[4], 2)
local limit = tonumber(ARGV[2])
if limit > 0 then
    redis.call('RPUSH', KEYS[2], message)
    redis.call('LTRIM', KEYS[2], -limit, -1)
end
redis.call('PUBLISH', ARGV[3], message)
local now = redis.call('TIME')
redis.call('ZADD', KEYS[3], string.format('%d', now[1] * 1000000 + now[2]), ARGV[5])
local excess = redis.call('ZCARD', KEYS[3]) - tonumber(ARGV[6])
if excess > 0 then
    local oldest = redis.call('ZPOPMIN', KEYS[3], excess)
    for index = 1, #oldest, 2 do
        redis.call('DEL', ARGV[7] .. oldest[index] .. ':id', ARGV[7] .. oldest[index] .. ':history')
    end
end
return id`,
    NUMBER_OF_KEYS: 3,
    parseCommand(parser, channel: string, firstId: number, limit: number, channelsKept: number, eventAndData: string) {
        parser.pushKeys([idKey(channel), historyKey(channel), channelsKey]);
        parser.push(String(firstId), String(limit), prefix + channel, eventAndData, channel, String(Math.max(1, channelsKept)), prefix);
    },
    transformReply: (reply: unknown) => Number(reply),
});

/** The scripts every connection knows. */
export const scripts = { publishEvent: publishScript };

export function idKey(channel: string): string {
    return `${prefix}${channel}:id`;
}

export function historyKey(channel: string): string {
    return `${prefix}${channel}:history`;
}

/** A message as published: the event, and whether it is the first of a new counter. */
export function parseMessage(text: string): { message: ChannelMessage; fresh: boolean } | undefined {
    try {
        const { id, event, data, fresh } = JSON.parse(text) as Partial<ChannelMessage> & { fresh?: unknown };
        if (Number.isSafeInteger(id) && (event === undefined || typeof event === "string") && typeof data === "string") return { message: { id: id!, event, data }, fresh: fresh === true };
    } catch {}
    return undefined;
}
