/** What ranking looks at: a route's pattern (`/files/{name}-{version}.json`) and method. */
export interface Ranked {
    pattern: string;
    method: string;
}

/**
 * The ranking rule, segment by segment from the left: a static segment (`users`) beats a segment with
 * a variable inside text (`{name}-{version}.json`, the more literal text the stronger), which beats a
 * whole-segment variable (`{id}`). Sorting by it before routes enter the tree makes matching independent
 * of the order the file system lists files in.
 */
export function bySpecificity(a: Ranked, b: Ranked): number {
    const left = a.pattern.split("/");
    const right = b.pattern.split("/");
    for (let i = 0; i < Math.min(left.length, right.length); i++) {
        const difference = segmentRank(left[i]!) - segmentRank(right[i]!);
        if (difference !== 0) return difference;
    }
    return left.length - right.length || compareText(a.pattern, b.pattern) || compareText(a.method, b.method);
}

// Lower ranks first: 0 static; 1..<2 text with variables (more literal text → lower); 2 a whole variable.
function segmentRank(segment: string): number {
    if (!segment.includes("{")) return 0;
    if (/^\{[^{}]*\}$/.test(segment)) return 2;
    const literal = segment.replace(/\{[^{}]*\}/g, "").length;
    return 1 + 1 / (1 + literal);
}

function compareText(a: string, b: string): number {
    return a < b ? -1 : a > b ? 1 : 0;
}
