/** The runtime running the tests: `npm test` runs them on Node, `test:deno` and `test:bun` on the others. */
export const runtime: "node" | "deno" | "bun" = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";

/** How this runtime runs a script file with arguments (Deno with every permission, as the README says). */
export function scriptCommand(script: string, args: string[] = []): [string, string[]] {
    return runtime === "deno" ? [process.execPath, ["run", "-A", script, ...args]] : [process.execPath, [script, ...args]];
}
