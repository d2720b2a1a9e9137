import { defineScript } from "@redis/client";
import { keyLifetime, type ChannelMessage } from "./transport.ts";

/** A channel `name` travels on the pub/sub channel `vshs:channel:<name>`; its keys add `:id` and `:history`. */
export const prefix = "vshs:channel:";

/** The channels that have keys, each scored by when it was last published to. */
const channelsKey = "vshs:channels";

/** The channel settings every vshs server using this Redis must share. */
const settingsKey = "vshs:settings";

/**
 * Numbers, keeps and publishes an event in one step, so that the order of publication is the order
 * of the ids whichever process publishes. A new counter starts from Redis's clock (in µs): one clock
 * for every machine, so that its ids are larger than any a client kept from an earlier counter, and
 * than the id of any `vshs-reset` sent for this channel before (the replay script reads the same
 * clock), whatever the clocks of the machines. Its first message says `"fresh":true`, so that
 * followers do not take the jump from older ids for lost events. Only the `channelsKept` channels
 * published to most recently keep their keys: channel names come from clients. Lua's tostring would
 * print a 16-digit id as 1.7e+15: %d does not.
 *
 * A publish key (ARGV[7], a key name, or empty) remembers the id its event got for a while: a retry
 * with the same key publishes nothing and gets that id.
 *
 * The keys of the channels let go of, and the publish key, are named in the script, not passed in
 * KEYS: which ones they are is only known inside it. (Like the two keys of one channel, they need a
 * single Redis, not a Cluster.)
 */
const publishScript = defineScript({
    SCRIPT: `
redis.replicate_commands()
if ARGV[7] ~= '' then
    local earlier = redis.call('GET', ARGV[7])
    if earlier then return earlier end
end
local now = redis.call('TIME')
local id = redis.call('INCR', KEYS[1])
local fresh = id == 1
if fresh then
    id = now[1] * 1000000 + now[2]
    redis.call('SET', KEYS[1], string.format('%d', id))
    redis.call('DEL', KEYS[2])
end
local message = string.format(fresh and '{"id":%d,"fresh":true,' or '{"id":%d,', id) .. string.sub(ARGV[3], 2)
local limit = tonumber(ARGV[1])
if limit > 0 then
    redis.call('RPUSH', KEYS[2], message)
    redis.call('LTRIM', KEYS[2], -limit, -1)
end
redis.call('PUBLISH', ARGV[2], message)
if ARGV[7] ~= '' then redis.call('SET', ARGV[7], string.format('%d', id), 'PX', ARGV[8]) end
redis.call('ZADD', KEYS[3], string.format('%d', now[1] * 1000000 + now[2]), ARGV[4])
local excess = redis.call('ZCARD', KEYS[3]) - tonumber(ARGV[5])
if excess > 0 then
    local oldest = redis.call('ZPOPMIN', KEYS[3], excess)
    for index = 1, #oldest, 2 do
        redis.call('DEL', ARGV[6] .. oldest[index] .. ':id', ARGV[6] .. oldest[index] .. ':history')
    end
end
return string.format('%d', id)`,
    NUMBER_OF_KEYS: 3,
    parseCommand(parser, channel: string, limit: number, channelsKept: number, eventAndData: string, key: string | undefined) {
        parser.pushKeys([idKey(channel), historyKey(channel), channelsKey]);
        const keyName = key === undefined ? "" : `${prefix}${channel}:key:${key}`;
        parser.push(String(limit), prefix + channel, eventAndData, channel, String(Math.max(1, channelsKept)), prefix, keyName, String(keyLifetime));
    },
    transformReply: (reply: unknown) => Number(reply),
});

/**
 * The channel's last id and the events kept after `ARGV[1]`, read at one instant, so that what a resume
 * costs grows with what it replays, not with the history kept. When more are missed than are kept, no
 * events (the caller answers `vshs-reset`), unless `ARGV[2]` asks for all that are kept. The second
 * value says whether the channel has a counter: one without answers, in place of a last id, Redis's
 * clock minus one µs, below every id its next counter will give, so that a `vshs-reset` carrying it
 * can never hide a later event.
 */
const replayScript = defineScript({
    SCRIPT: `
local last = redis.call('GET', KEYS[1])
if not last then
    local now = redis.call('TIME')
    return { string.format('%d', now[1] * 1000000 + now[2] - 1), 0 }
end
local count = tonumber(last) - tonumber(ARGV[1])
local kept = redis.call('LLEN', KEYS[2])
if count > kept then
    if ARGV[2] ~= '1' then return { last, 1 } end
    count = kept
end
if count <= 0 then return { last, 1 } end
local reply = redis.call('LRANGE', KEYS[2], -count, -1)
table.insert(reply, 1, 1)
table.insert(reply, 1, last)
return reply`,
    NUMBER_OF_KEYS: 2,
    parseCommand(parser, channel: string, afterId: number, allIfMore: boolean) {
        parser.pushKeys([idKey(channel), historyKey(channel)]);
        parser.push(String(afterId), allIfMore ? "1" : "0");
    },
    transformReply: (reply: unknown) => reply as [string, number, ...string[]],
});

/**
 * Holds the channel settings of the vshs servers using this Redis for `ARGV[2]` ms, and answers the
 * settings held: a server with other settings learns so at start (each server refreshes them while it runs).
 */
const settingsScript = defineScript({
    SCRIPT: `
local held = redis.call('GET', KEYS[1])
if held and held ~= ARGV[1] then return held end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return ARGV[1]`,
    NUMBER_OF_KEYS: 1,
    parseCommand(parser, settings: string, lifetime: number) {
        parser.pushKey(settingsKey);
        parser.push(settings, String(lifetime));
    },
    transformReply: (reply: unknown) => String(reply),
});

/** The scripts every connection knows. */
export const scripts = { publishEvent: publishScript, replayEvents: replayScript, holdSettings: settingsScript };

export function idKey(channel: string): string {
    return `${prefix}${channel}:id`;
}

export function historyKey(channel: string): string {
    return `${prefix}${channel}:history`;
}

/** A message as published: the event, and whether it is the first of a new counter. */
export function parseMessage(text: string): ChannelMessage | undefined {
    try {
        const { id, event, data, fresh } = JSON.parse(text) as Partial<ChannelMessage> & { fresh?: unknown };
        if (Number.isSafeInteger(id) && (event === undefined || typeof event === "string") && typeof data === "string") {
            return fresh === true ? { id: id!, event, data, first: true } : { id: id!, event, data };
        }
    } catch {}
    return undefined;
}
