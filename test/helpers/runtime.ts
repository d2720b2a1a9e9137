/** The runtime running the tests: `npm test` runs them on Node, `test:deno` and `test:bun` on the others. */
export const runtime: "node" | "deno" | "bun" = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";

/**
 * How this runtime runs a script file with arguments: Deno as the README says, with every permission,
 * with `./helper` finding `helper.ts` (--sloppy-imports) as on Node and Bun, and with port sharing for
 * --workers (--unstable-net).
 */
export function scriptCommand(script: string, args: string[] = []): [string, string[]] {
    return runtime === "deno" ? [process.execPath, ["run", "-A", "--sloppy-imports", "--unstable-net", script, ...args]] : [process.execPath, [script, ...args]];
}

/**
 * Where and how each runtime's compiler reports the file `export default function ( {\n`; vshs puts
 * the file, line and column in front of the compiler's own words.
 */
export const unfinishedFunctionError: RegExp = {
    node: /GET\.ts:2:1: Expected identifier but found end of file$/,
    bun: /GET\.ts:1:28: Expected identifier but found end of file$/,
    deno: /GET\.ts:1:28: SyntaxError: Unexpected token `<eof>`\. Expected identifier/,
}[runtime];
