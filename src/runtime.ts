export type RuntimeName = "node" | "deno" | "bun";

/** The JavaScript runtime running vshs: each gets its own native HTTP server and TypeScript loading. */
export const runtime: RuntimeName = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";
