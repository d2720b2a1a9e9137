import cluster from "node:cluster";
import { rateLimitHub as hubKey } from "../symbols.ts";
import { StartupError } from "../errors.ts";
import { hidePassword } from "../channels/transport.ts";
import { LocalStore, type Limit, type LimitStore, type Verdict } from "./sliding-window.ts";

/** How rate limits are shared, decided by the server's options and environment, never by route code. */
export interface RateLimitSettings {
    /** Through Redis when set (the `redisUrl` option, or REDIS_URL). */
    redisUrl: string | undefined;
    /** How long a Redis command may take, in ms (0: no limit). */
    redisTimeout?: number;
}

const inProcess: RateLimitSettings = Object.freeze({ redisUrl: undefined });

/**
 * The store of this process's rate limits. Route files make their limiters before the server starts,
 * so the store is chosen when a limiter is first used (or when the server starts, if one exists then):
 * Redis when the server has a Redis URL, the cluster primary in a `--workers` worker, else this
 * process. Kept on globalThis so that routes importing their own copy of vshs share it with the server.
 */
class RateLimitHub {
    #settings: RateLimitSettings = inProcess;
    #store: Promise<LimitStore> | undefined;
    #storeKind = "";
    #users = 0;
    /** Limiters made so far, and of the unnamed ones, how many per (max, window): their namespaces. */
    #made = 0;
    readonly #unnamed = new Map<string, number>();

    /** A new limiter's namespace: its name, else its max and window numbered in the order made (the same in every process running the same code). */
    namespace(name: string | undefined, window: number, max: number): string {
        this.#made++;
        if (name !== undefined) return `${name}@${window}ms`;
        const shape = `${max}/${window}ms`;
        const count = (this.#unnamed.get(shape) ?? 0) + 1;
        this.#unnamed.set(shape, count);
        return `${shape}#${count}`;
    }

    /** A server starts with these settings; with a limiter already made, Redis must answer now. Resolves with what close() calls. */
    async use(settings: RateLimitSettings): Promise<() => Promise<void>> {
        const kind = storeKind(settings);
        if (this.#users > 0 && kind !== storeKind(this.#settings)) {
            throw new StartupError(`The servers of one process share their rate limits, already kept ${storeKind(this.#settings)}: a second server cannot keep them ${kind}`);
        }
        this.#settings = settings;
        if (this.#store !== undefined && kind !== this.#storeKind) void this.#drop();
        this.#users++;
        let released = false;
        const release = async () => {
            if (released) return;
            released = true;
            if (--this.#users > 0) return;
            this.#settings = inProcess;
            await this.#drop();
        };
        if (this.#made > 0 && settings.redisUrl) {
            try {
                await this.store();
            } catch (error) {
                await release();
                throw new StartupError(`Rate limits: ${(error as Error).message}`);
            }
        }
        return release;
    }

    /** The store, made on first use; one that failed to connect is made again by the next hit. */
    store(): Promise<LimitStore> {
        if (this.#store === undefined) {
            const made = createStore(this.#settings);
            this.#store = made;
            this.#storeKind = storeKind(this.#settings);
            made.catch(() => this.#store === made && (this.#store = undefined));
        }
        return this.#store;
    }

    async hit(limit: Limit, key: string): Promise<Verdict> {
        return (await this.store()).hit(limit, key);
    }

    /** How many keys this process keeps counts for; creates no store. */
    async keptKeys(): Promise<number> {
        const store = await this.#store?.catch(() => undefined);
        return store?.keptKeys() ?? 0;
    }

    async #drop(): Promise<void> {
        const store = this.#store;
        this.#store = undefined;
        this.#storeKind = "";
        await store?.then((each) => each.close()).catch(() => {});
    }
}

function storeKind({ redisUrl }: RateLimitSettings): string {
    return redisUrl ? `through Redis at ${hidePassword(redisUrl)}` : clusterWorker() ? "through the cluster primary" : "within this process";
}

/**
 * A worker started by `vshs --workers`, whose primary relays (relayRateLimits). The primary marks
 * its workers with the variable it sets for channels: both are relayed by the same primary.
 */
function clusterWorker(): boolean {
    return cluster.isWorker && process.env.VSHS_CHANNELS === "cluster";
}

async function createStore(settings: RateLimitSettings): Promise<LimitStore> {
    if (settings.redisUrl) {
        const { RedisStore } = await import("./redis.ts");
        return RedisStore.connect(settings.redisUrl, settings.redisTimeout ?? 0);
    }
    if (clusterWorker()) {
        const { ClusterStore } = await import("./cluster.ts");
        return new ClusterStore();
    }
    return new LocalStore();
}

const hub: RateLimitHub = ((globalThis as Record<symbol, RateLimitHub | undefined>)[hubKey] ??= new RateLimitHub());

export { hub as rateLimitHub };

/** Called by startHTTPServer after loading the routes (a Redis that cannot be reached is a StartupError); the function it resolves with, by close(). */
export function useRateLimits(settings: RateLimitSettings): Promise<() => Promise<void>> {
    return hub.use(settings);
}

/** For tests: how many keys this process keeps rate-limit counts for. */
export function keptRateLimitKeys(): Promise<number> {
    return hub.keptKeys();
}
