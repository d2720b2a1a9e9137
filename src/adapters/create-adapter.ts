import type { AdapterOptions, PromisePeek, ServerAdapter } from "../contract.ts";
import type { RuntimeName } from "../runtime.ts";

/** The server adapter for a runtime, each loaded only there (node:http's too: Deno and Bun never load it). */
export async function createServerAdapter(runtime: RuntimeName, options: AdapterOptions): Promise<ServerAdapter> {
    switch (runtime) {
        case "deno":
            return new (await import("./web/deno.ts")).DenoHTTPServer(options);
        case "bun":
            return new (await import("./web/bun.ts")).BunHTTPServer(options);
        case "node":
            return new (await import("./node/server.ts")).NodeServer(options);
    }
}

/** How this runtime reads a fulfilled promise's value at once, where it can (Bun.peek); null elsewhere. */
export async function promisePeek(runtime: RuntimeName): Promise<PromisePeek | null> {
    return runtime === "bun" ? (await import("./web/bun.ts")).peekFulfilled : null;
}
