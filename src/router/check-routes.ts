import { StartupError } from "../errors.ts";
import type { Router, RouteEntry } from "./router.ts";

const sampleValues = ["x1", "sample", "a-b", "a.b", "a_b"];

/**
 * Looks for route tables that do not mean what they seem: routes that differ only in letter case,
 * sibling variables with different names, and routes whose URLs go (partly or wholly) to another route.
 * Returns warnings; a route no URL can reach is an error.
 */
export function checkRoutes(router: Router, entries: readonly RouteEntry[]): string[] {
    return [...caseOnlyDifferences(entries), ...siblingVariables(entries), ...shadowedRoutes(router, entries)];
}

function caseOnlyDifferences(entries: readonly RouteEntry[]): string[] {
    const byLowerCase = new Map<string, RouteEntry>();
    const warnings: string[] = [];
    for (const entry of entries) {
        const key = entry.pattern.toLowerCase();
        const other = byLowerCase.get(key);
        if (other === undefined) byLowerCase.set(key, entry);
        else if (other.pattern !== entry.pattern) {
            warnings.push(`${other.source} and ${entry.source} differ only in letter case: URLs are case-sensitive, so ${other.pattern} and ${entry.pattern} are different routes`);
            byLowerCase.set(key, entry);
        }
    }
    return unique(warnings);
}

function siblingVariables(entries: readonly RouteEntry[]): string[] {
    const byShape = new Map<string, RouteEntry>();
    const warnings: string[] = [];
    for (const entry of entries) {
        const shape = entry.pattern.replace(/\{[^{}]*\}/g, "{}");
        const other = byShape.get(shape);
        if (other === undefined) byShape.set(shape, entry);
        else if (other.pattern !== entry.pattern) {
            warnings.push(
                `${other.source} and ${entry.source} match the same URLs with differently named variables (${other.pattern} vs ${entry.pattern}): put them in one folder`,
            );
        }
    }
    return unique(warnings);
}

function shadowedRoutes(router: Router, entries: readonly RouteEntry[]): string[] {
    const warnings: string[] = [];
    for (const entry of entries) {
        if (!entry.pattern.includes("{")) {
            const found = router.matchEntry(entry.method, encodeStatic(entry.pattern));
            if (found !== entry) throw unreachable(entry, entry.pattern, found);
            continue;
        }
        let reached = false;
        let takenBy: { url: string; other: RouteEntry } | undefined;
        for (const value of sampleValues) {
            const url = entry.pattern.split(/(\{[^{}]*\})/).map((part, index) => (index % 2 === 1 ? value : encodeStatic(part))).join("");
            const found = router.matchEntry(entry.method, url);
            if (found === entry) reached = true;
            else if (found !== null && found.pattern.includes("{") && takenBy === undefined) takenBy = { url, other: found };
        }
        if (!reached) throw unreachable(entry, takenBy?.url ?? entry.pattern, takenBy?.other ?? null);
        if (takenBy) warnings.push(`${entry.source} is partly shadowed: ${entry.method} ${takenBy.url} goes to ${takenBy.other.source}`);
    }
    return warnings;
}

function unreachable(entry: RouteEntry, url: string, other: RouteEntry | null): StartupError {
    const where = other ? `${entry.method} ${url} goes to ${other.source}` : `${entry.method} ${url} does not reach it`;
    return new StartupError(`${entry.source} can never be reached: ${where}`);
}

function encodeStatic(text: string): string {
    return text.split("/").map(encodeURIComponent).join("/");
}

function unique(items: string[]): string[] {
    return [...new Set(items)];
}
