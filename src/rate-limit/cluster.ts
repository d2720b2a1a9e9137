import cluster, { type Worker } from "node:cluster";
import { LocalStore, type Limit, type LimitStore, type Verdict } from "./sliding-window.ts";

/** Between a worker and the primary of `vshs --workers`, over the cluster's IPC channel. */
type Hit = { vshs: "rate-limit-hit"; request: number; namespace: string; window: number; max: number; key: string };
type Reply = { vshs: "rate-limit-reply"; request: number; verdict: Verdict };

/**
 * Rate limits across the workers of one machine: the primary keeps the counts (a LocalStore) and
 * answers each worker's hit, so that a limit holds whichever worker a client's connections reach.
 * The same request/reply pattern as channels/cluster.ts, kept apart from it so that each can change alone.
 */
export class ClusterStore implements LimitStore {
    readonly #waiting = new Map<number, { resolve: (verdict: Verdict) => void; reject: (error: Error) => void }>();
    #lastRequest = 0;

    constructor() {
        process.on("message", this.#onMessage);
    }

    hit({ namespace, window, max }: Limit, key: string): Promise<Verdict> {
        return new Promise((resolve, reject) => {
            const request = ++this.#lastRequest;
            this.#waiting.set(request, { resolve, reject });
            const hit: Hit = { vshs: "rate-limit-hit", request, namespace, window, max, key };
            process.send!(hit, undefined, undefined, (error: Error | null) => {
                if (error === null) return;
                this.#waiting.delete(request);
                reject(new Error(`The cluster primary cannot be reached for rate limits: ${error.message}`));
            });
        });
    }

    /** None: the primary keeps the counts. */
    keptKeys(): number {
        return 0;
    }

    async close(): Promise<void> {
        process.off("message", this.#onMessage);
        for (const { reject } of this.#waiting.values()) reject(new Error("The server is shutting down"));
        this.#waiting.clear();
    }

    readonly #onMessage = (message: Reply) => {
        if (message?.vshs !== "rate-limit-reply") return;
        this.#waiting.get(message.request)?.resolve(message.verdict);
        this.#waiting.delete(message.request);
    };
}

let relayed: LocalStore | undefined;

/** The primary's side: keeps the counts of every worker's limits and answers their hits; returns the store (for tests). */
export function relayRateLimits(): LocalStore {
    if (relayed !== undefined) return relayed;
    const store = (relayed = new LocalStore());
    cluster.on("message", (worker: Worker, hit: Hit) => {
        if (hit?.vshs !== "rate-limit-hit") return;
        const verdict = store.hit({ namespace: hit.namespace, window: hit.window, max: hit.max }, hit.key);
        if (worker.isConnected()) worker.send({ vshs: "rate-limit-reply", request: hit.request, verdict } satisfies Reply);
    });
    return store;
}
