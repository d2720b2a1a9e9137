/**
 * The strokes drawn so far, for a page that joins late: the last `kept` of them, in this process (with
 * --workers or several machines each process keeps those it saw; the channel carries the live ones to all).
 */
export interface Stroke {
    from: [number, number];
    to: [number, number];
    color: string;
}

const kept = 20_000;
const strokes: Stroke[] = [];

export function remember(stroke: Stroke): void {
    strokes.push(stroke);
    if (strokes.length > kept) strokes.splice(0, strokes.length - kept);
}

export function strokesSoFar(): readonly Stroke[] {
    return strokes;
}

/** A stroke as a page sends it, checked: two points in the unit square and a CSS hex colour; else undefined. */
export function asStroke(value: unknown): Stroke | undefined {
    if (typeof value !== "object" || value === null) return undefined;
    const { from, to, color } = value as Record<string, unknown>;
    const point = (each: unknown): each is [number, number] => Array.isArray(each) && each.length === 2 && each.every((n) => typeof n === "number" && n >= 0 && n <= 1);
    if (!point(from) || !point(to) || typeof color !== "string" || !/^#[0-9a-f]{6}$/.test(color)) return undefined;
    return { from, to, color };
}
