import type { AdapterOptions, ServerAdapter } from "../contract.ts";
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
