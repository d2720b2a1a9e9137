export type RuntimeName = "node" | "deno" | "bun";

/** The JavaScript runtime running vshs: each gets its own native HTTP server and TypeScript loading. */
export const runtime: RuntimeName = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";

/** What serves: `Node 20.20.2`, `Deno 2.9.6`, `Bun 1.4.5` (a user running `bunx vshs` without --bun gets Node, and should see it). */
export function runtimeDescription(): string {
    const global = globalThis as { Deno?: { version: { deno: string } }; Bun?: { version: string } };
    if (global.Deno !== undefined) return `Deno ${global.Deno.version.deno}`;
    if (global.Bun !== undefined) return `Bun ${global.Bun.version}`;
    return `Node ${process.versions.node}`;
}
