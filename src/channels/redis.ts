// @redis/client: the core of node-redis, Redis's own client (no dependencies; scripts, pub/sub, reconnection), without the modules `redis` adds.
import { createClient, defineScript, ErrorReply } from "@redis/client";
import { StartupError } from "../errors.ts";
import { replayFrom } from "./history.ts";
import { hidePassword, type ChannelMessage, type ChannelTransport, type Deliver, type Replay, type TransportOptions } from "./transport.ts";

/** A channel `name` travels on the pub/sub channel `vshs:channel:<name>`; its keys add `:id` and `:history`. */
const prefix = "vshs:channel:";

/**
 * Numbers, keeps and publishes an event in one step, so that the order of publication is the order
 * of the ids whichever process publishes. A new counter starts from the clock, as ChannelHistory's
 * does, so that its ids are larger than any a client kept from a previous run. Lua's tostring would
 * print a 16-digit id as 1.7e+15: %d does not.
 */
const publishScript = defineScript({
    SCRIPT: `
local id = redis.call('INCR', KEYS[1])
if id == 1 then
    id = tonumber(ARGV[1])
    redis.call('SET', KEYS[1], ARGV[1])
    redis.call('DEL', KEYS[2])
end
local message = string.format('{"id":%d,', id) .. string.sub(ARGV[4], 2)
local limit = tonumber(ARGV[2])
if limit > 0 then
    redis.call('RPUSH', KEYS[2], message)
    redis.call('LTRIM', KEYS[2], -limit, -1)
end
redis.call('PUBLISH', ARGV[3], message)
return id`,
    NUMBER_OF_KEYS: 2,
    parseCommand(parser, channel: string, firstId: number, limit: number, eventAndData: string) {
        parser.pushKeys([idKey(channel), historyKey(channel)]);
        parser.push(String(firstId), String(limit), prefix + channel, eventAndData);
    },
    transformReply: (reply: unknown) => Number(reply),
});

/**
 * Channels across processes and machines through Redis: one atomic script numbers each event
 * (a counter per channel), keeps the last `history` of them (a list) and publishes it; every
 * process follows all channels on a second connection (PSUBSCRIBE) and hands each message to
 * its followers. Loaded only when a Redis URL is configured.
 */
export class RedisTransport implements ChannelTransport {
    readonly #commands: RedisConnection;
    readonly #subscriber: RedisConnection;
    readonly #deliver: Deliver;
    readonly #history: number;
    /** The last id handed over per channel, to notice events lost while the subscriber reconnected. */
    readonly #lastDelivered = new Map<string, number>();
    /** While the events of a gap are fetched, the messages that arrive wait here, in order. */
    #backlog: Array<[string, ChannelMessage]> | null = null;

    private constructor(url: string, { deliver, history }: TransportOptions) {
        this.#commands = new RedisConnection(url, "command");
        this.#subscriber = new RedisConnection(url, "subscriber");
        this.#deliver = deliver;
        this.#history = history;
    }

    /** Resolves once both connections are up and every channel is followed; rejects naming the URL if Redis cannot be reached. */
    static async connect(url: string, options: TransportOptions): Promise<RedisTransport> {
        let transport: RedisTransport;
        try {
            transport = new RedisTransport(url, options);
        } catch (error) {
            throw new StartupError(`Cannot use the Redis URL ${hidePassword(url)}: ${describe(error)}`);
        }
        try {
            await Promise.all([transport.#commands.open(), transport.#subscriber.open()]);
            await transport.#subscriber.client.pSubscribe(`${prefix}*`, (text, pubsubChannel) => transport.#received(pubsubChannel.slice(prefix.length), text));
        } catch (error) {
            transport.#commands.destroy();
            transport.#subscriber.destroy();
            const where = transport.#commands.shownUrl;
            throw new StartupError(error instanceof ErrorReply ? `Redis at ${where} refused the connection: ${describe(error)}` : `Cannot reach Redis at ${where}: ${describe(error)}`);
        }
        return transport;
    }

    async publish(channel: string, event: string | undefined, data: string): Promise<number> {
        // The script puts the id in front of this object's fields (JSON.stringify leaves out an undefined event).
        return this.#commands.ask(() => this.#commands.client.publishEvent(channel, Date.now() * 1000, this.#history, JSON.stringify({ event, data })));
    }

    async replay(channel: string, afterId: number): Promise<Replay> {
        return replayFrom(await this.#kept(channel), afterId);
    }

    async close(): Promise<void> {
        await Promise.all([this.#subscriber.close(), this.#commands.close()]);
    }

    /** The channel's last id and its kept events, read at one instant. */
    async #kept(channel: string): Promise<{ lastId: number; events: ChannelMessage[] }> {
        const [lastId, kept] = await this.#commands.ask(() => this.#commands.client.multi().get(idKey(channel)).lRange(historyKey(channel), 0, -1).exec());
        const events = (kept as unknown as string[]).map(parseMessage).filter((message) => message !== undefined);
        // A channel never published to would start from the clock: any id a client holds is then from another run.
        return { lastId: lastId === null ? Date.now() * 1000 - 1 : Number(lastId), events };
    }

    #received(channel: string, text: string): void {
        const message = parseMessage(text);
        if (message === undefined) return console.error(`vshs: ignored a message on Redis channel ${prefix}${channel} that vshs did not publish: ${text.slice(0, 200)}`);
        if (this.#backlog !== null) this.#backlog.push([channel, message]);
        else this.#receive(channel, message);
    }

    #receive(channel: string, message: ChannelMessage): void {
        const last = this.#lastDelivered.get(channel);
        if (last !== undefined && message.id > last + 1) {
            // Ids of a channel follow each other: a jump means the subscriber was away. The history has what it missed.
            this.#backlog = [[channel, message]];
            void this.#fillGap(channel, last, message.id);
        } else {
            this.#hand(channel, message);
        }
    }

    async #fillGap(channel: string, last: number, arrived: number): Promise<void> {
        const lost = (from: number, to: number) =>
            console.error(`vshs: channel "${channel}": events ${from} to ${to} reached neither this process (its subscription to Redis was down) nor the history Redis keeps (too old, or Redis restarted empty): followers here miss them`);
        try {
            const found = (await this.#kept(channel)).events.filter((message) => message.id > last && message.id < arrived);
            if (found.length === 0) lost(last + 1, arrived - 1);
            else if (found[0]!.id > last + 1) lost(last + 1, found[0]!.id - 1);
            for (const message of found) this.#hand(channel, message);
        } catch (error) {
            console.error(`vshs: channel "${channel}": could not fetch from Redis events ${last + 1} to ${arrived - 1}, missed while the subscription was down:`, error);
        }
        if (this.#lastDelivered.get(channel)! < arrived - 1) this.#lastDelivered.set(channel, arrived - 1);
        const waiting = this.#backlog!;
        this.#backlog = null;
        for (let index = 0; index < waiting.length; index++) {
            const backlog = this.#backlog as typeof waiting | null; // #receive may have met another gap
            if (backlog !== null) {
                backlog.push(...waiting.slice(index));
                break;
            }
            this.#receive(...waiting[index]!);
        }
    }

    /** Hands a message over once: pub/sub and the history may both bring it. */
    #hand(channel: string, message: ChannelMessage): void {
        const last = this.#lastDelivered.get(channel);
        if (last !== undefined && message.id <= last) return;
        this.#lastDelivered.set(channel, message.id);
        try {
            this.#deliver(channel, message);
        } catch (error) {
            console.error(`vshs: a follower of channel "${channel}" failed:`, error);
        }
    }
}

/**
 * One connection to Redis. Failing to connect the first time is final (connect() rejects with why);
 * once connected, the client reconnects by itself, and the loss and the return are logged once each.
 */
class RedisConnection {
    readonly client;
    readonly shownUrl: string;
    readonly #role: string;
    #connected = false;
    #down = false;

    constructor(url: string, role: string) {
        this.shownUrl = hidePassword(url);
        this.#role = role;
        this.client = createClient({
            url,
            // A publish while Redis is away fails at once (the handler answers 500) instead of waiting in memory.
            disableOfflineQueue: true,
            scripts: { publishEvent: publishScript },
            socket: { reconnectStrategy: (retries) => (this.#connected ? Math.min(100 * 2 ** retries, 3000) : false) },
        });
        this.client.on("error", (error: Error) => {
            if (!this.#connected || this.#down) return; // before: connect() reports it; during an outage: said once already
            this.#down = true;
            console.error(`vshs: lost the ${this.#role} connection to Redis at ${this.shownUrl} (${describe(error)}); reconnecting`);
        });
        this.client.on("ready", () => {
            if (this.#down) console.error(`vshs: the ${this.#role} connection to Redis at ${this.shownUrl} is back`);
            this.#down = false;
        });
    }

    /** Runs a command, saying in its error which Redis failed it (for the log of the request that asked). */
    async ask<T>(command: () => Promise<T>): Promise<T> {
        try {
            return await command();
        } catch (error) {
            throw new Error(`Redis at ${this.shownUrl}: ${describe(error)}`, { cause: error });
        }
    }

    async open(): Promise<void> {
        await this.client.connect();
        this.#connected = true;
    }

    async close(): Promise<void> {
        this.#connected = false;
        try {
            await this.client.close();
        } catch {
            this.client.destroy(); // not open (Redis away): nothing to wait for
        }
    }

    destroy(): void {
        this.#connected = false;
        this.client.destroy();
    }
}

function idKey(channel: string): string {
    return `${prefix}${channel}:id`;
}

function historyKey(channel: string): string {
    return `${prefix}${channel}:history`;
}

function parseMessage(text: string): ChannelMessage | undefined {
    try {
        const { id, event, data } = JSON.parse(text) as Partial<ChannelMessage>;
        if (Number.isSafeInteger(id) && (event === undefined || typeof event === "string") && typeof data === "string") return { id: id!, event, data };
    } catch {}
    return undefined;
}

function describe(error: unknown): string {
    if (error instanceof AggregateError && error.errors.length > 0) return describe(error.errors[0]);
    if (!(error instanceof Error)) return String(error);
    const code = (error as { code?: unknown }).code;
    return error.message || (typeof code === "string" ? code : error.name);
}
