import type { AdapterOptions, ServerAdapter } from "./adapter.ts";
import { NodeServer } from "./node.ts";

export type RuntimeName = "node" | "deno" | "bun";

/** The JavaScript runtime running vshs: each gets its own native HTTP server. */
export const runtime: RuntimeName = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";

/** The server adapter for this runtime; Deno's and Bun's are loaded only there. */
export async function createServerAdapter(options: AdapterOptions): Promise<ServerAdapter> {
    switch (runtime) {
        case "deno":
            return new (await import("./deno.ts")).DenoHTTPServer(options);
        case "bun":
            return new (await import("./bun.ts")).BunHTTPServer(options);
        case "node":
            return new NodeServer(options);
    }
}
