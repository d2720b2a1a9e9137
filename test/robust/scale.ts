/**
 * How big the robustness suite runs, and where its figures go. `npm run test:robust` runs it in full;
 * CI sets ROBUST_BOUNDED=1 for a shorter run of the same tests.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

export const bounded = process.env.ROBUST_BOUNDED === "1";

/** `full` normally, `small` in the bounded run. */
export function scaled(full: number, small: number): number {
    return bounded ? small : full;
}

const resultsFile = path.resolve(import.meta.dirname, "../../bench/results/robust.json");

/** Prints measured figures and keeps them, as the latest of their name, in bench/results/robust.json. */
export function report(name: string, figures: Record<string, number | string>): void {
    const line = Object.entries(figures)
        .map(([key, value]) => `${key} ${typeof value === "number" ? value.toLocaleString("en-US", { maximumFractionDigits: 1 }) : value}`)
        .join(", ");
    console.log(`robust: ${name}: ${line}`);
    mkdirSync(path.dirname(resultsFile), { recursive: true });
    let latest: Record<string, unknown> = {};
    try {
        latest = JSON.parse(readFileSync(resultsFile, "utf8"));
    } catch {
        // none yet, or unreadable: start again
    }
    latest[name] = { time: new Date().toISOString(), bounded, node: process.version, ...figures };
    writeFileSync(resultsFile, JSON.stringify(latest, null, 4) + "\n");
}
