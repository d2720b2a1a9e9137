/**
 * Router time over adversarial paths (issue 23: variables inside a segment became one backtracking regex,
 * and a long near-miss held the event loop for seconds). fast-check builds route shapes, 1 to 4 variables
 * in a segment with texts between them from a small alphabet of separators, regex characters and letters,
 * sometimes a text before the first variable and a segment after, and paths made of repetitions of the
 * route's own texts. Property: every match takes less than a ceiling far above what a linear match costs,
 * and gives the values a reference matcher gives. The Router is called directly: through HTTP most of the
 * time would be the request's, and this suite times the matching.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { Router } from "../../src/router/router.ts";
import { report, scaled } from "./scale.ts";

/** A route segment with variables inside: its text before the first variable, and the text after each. */
interface SegmentShape {
    prefix: string;
    /** One per variable; all but the last non-empty (the route syntax requires text between variables). */
    texts: string[];
}

interface RouteShape {
    segment: SegmentShape;
    /** A segment after the one with variables: none, a whole-segment variable or a static one. */
    after: "" | "/{rest}" | "/x";
}

type Vars = Record<string, string> | null;

const names = ["a", "b", "c", "d"];
/** Far above what matching a path of `adversarialLength` costs in linear time, far below what backtracking took. */
const ceilingMs = 1000;
/** Near the server's default maxUrlLength: as long as a request path gets. */
const adversarialLength = 8000;

function patternOf({ segment, after }: RouteShape): string {
    return `/r/${segment.prefix}${segment.texts.map((text, index) => `{${names[index]}}${text}`).join("")}${after}`;
}

// ---------------------------------------------------------------------------------------------------
// The reference: the values of the lazy pattern the router used to build, computed without a regex

/**
 * Each variable takes the shortest value (one character or more) after which the rest of the segment
 * matches, as a lazy `[^]+?` does. Which ends leave a match is worked out from the right once, so the
 * reference stays linear and can judge long paths.
 */
function referenceValues(value: string, { prefix, texts }: SegmentShape): string[] | null {
    if (!value.startsWith(prefix)) return null;
    const restMatches = restMatchTables(value, texts);
    const values: string[] = [];
    let start = prefix.length;
    for (const [index, text] of texts.entries()) {
        if (!restMatches[index]![start]) return null;
        let end = start + 1;
        if (index === texts.length - 1) end = value.length - text.length;
        else while (!(value.startsWith(text, end) && restMatches[index + 1]![end + text.length])) end++;
        values.push(value.slice(start, end));
        start = end + text.length;
    }
    return values;
}

/** `tables[i][position]`: whether variables i… and their texts can match the value from `position` to its end. */
function restMatchTables(value: string, texts: string[]): boolean[][] {
    const lastText = texts.at(-1)!;
    const last = Array.from({ length: value.length + 1 }, (_, position) => value.endsWith(lastText) && value.length - lastText.length > position);
    const tables = [last];
    for (let index = texts.length - 2; index >= 0; index--) {
        const text = texts[index]!;
        const next = tables[0]!;
        const matches = new Array<boolean>(value.length + 1).fill(false);
        let laterEnd = false; // some end after `position` (a variable takes one character or more)
        for (let position = value.length; position >= 0; position--) {
            matches[position] = laterEnd;
            if (value.startsWith(text, position) && next[position + text.length]) laterEnd = true;
        }
        tables.unshift(matches);
    }
    return tables;
}

function referenceVars(shape: RouteShape, path: string): Vars {
    const [root, r, value = "", ...after] = path.split("/");
    if (root !== "" || r !== "r" || !afterMatches(shape, after)) return null;
    const values = referenceValues(value, shape.segment);
    if (values === null) return null;
    const vars: Record<string, string> = Object.fromEntries(values.map((found, index) => [names[index]!, found]));
    if (shape.after === "/{rest}") vars.rest = after[0]!;
    return vars;
}

function afterMatches(shape: RouteShape, after: string[]): boolean {
    if (shape.after === "") return after.length === 0;
    return after.length === 1 && (shape.after === "/x" ? after[0] === "x" : after[0] !== "");
}

/** The lazy regex itself, to check the reference against on short values (on long ones it is what was slow). */
function lazyRegexValues(value: string, { prefix, texts }: SegmentShape): string[] | null {
    const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const found = new RegExp(`^${escape(prefix)}${texts.map((text) => `([^]+?)${escape(text)}`).join("")}$`).exec(value);
    return found === null ? null : found.slice(1);
}

// ---------------------------------------------------------------------------------------------------
// The shapes and the paths

const textUnit = fc.constantFrom("-", "-", ".", ".", "_", "~", "a", "v", "0", "(", ")", "+", "$", "|", "[", "]", ":", "^", "\\");
const text = (minLength: number) => fc.string({ unit: textUnit, minLength, maxLength: 3 });

const routeShape: fc.Arbitrary<RouteShape> = fc
    .record({
        prefix: fc.oneof(fc.constant(""), text(1)),
        between: fc.array(text(1), { minLength: 0, maxLength: 3 }),
        last: text(0),
        after: fc.constantFrom("" as const, "/{rest}" as const, "/x" as const),
    })
    .map(({ prefix, between, last, after }) => ({ segment: { prefix, texts: [...between, last] }, after }));

/** What a segment's value is made of: its own texts, their first characters, and a letter. */
function piecesOf({ prefix, texts }: SegmentShape): string[] {
    const own = [prefix, ...texts].filter((piece) => piece !== "");
    return [...new Set([...own, ...own.map((piece) => piece[0]!), "a"])];
}

function afterValue(shape: RouteShape): string {
    return shape.after === "" ? "" : shape.after === "/x" ? "/x" : "/z";
}

function shortPath(shape: RouteShape): fc.Arbitrary<string> {
    return fc.array(fc.constantFrom(...piecesOf(shape.segment)), { maxLength: 10 }).map((pieces) => `/r/${pieces.join("")}${afterValue(shape)}`);
}

/** The route's texts repeated to the length of a long path, then the last text whole, cut short, or missing. */
function adversarialPath(shape: RouteShape): fc.Arbitrary<string> {
    const lastText = shape.segment.texts.at(-1)!;
    return fc
        .tuple(fc.array(fc.constantFrom(...piecesOf(shape.segment)), { minLength: 1, maxLength: 3 }), fc.constantFrom("", lastText, lastText.slice(0, -1), lastText.slice(1)))
        .map(([unit, ending]) => {
            const repeated = unit.join("").repeat(Math.ceil(adversarialLength / unit.join("").length)).slice(0, adversarialLength);
            return `/r/${shape.segment.prefix}${repeated}${ending}${afterValue(shape)}`;
        });
}

const caseArbitrary = routeShape.chain((shape) =>
    fc.record({ shape: fc.constant(shape), short: fc.array(shortPath(shape), { maxLength: 20 }), long: fc.array(adversarialPath(shape), { minLength: 1, maxLength: 4 }) }),
);

// ---------------------------------------------------------------------------------------------------
// The property

function varsAt(router: Router, path: string): Vars {
    return router.match("GET", path)?.route.vars ?? null;
}

/** Matches once, and once more if the first took longer than the ceiling (the process may have been paused). */
function timedVars(router: Router, path: string): { vars: Vars; ms: number } {
    let ms = Infinity;
    let vars: Vars = null;
    for (let attempt = 0; attempt < 2 && ms > ceilingMs; attempt++) {
        const started = performance.now();
        vars = varsAt(router, path);
        ms = performance.now() - started;
    }
    return { vars, ms };
}

describe("robust: router time over adversarial paths", () => {
    it("matches every route shape in bounded time, with the values of the reference matcher", () => {
        let runs = 0;
        let longMatches = 0;
        let slowestMs = 0;
        const found = { matched: 0, unmatched: 0 };
        fc.assert(
            fc.property(caseArbitrary, ({ shape, short, long }) => {
                runs++;
                const pattern = patternOf(shape);
                const router = new Router([{ method: "GET", pattern, handler: () => null, source: pattern }]);
                for (const path of short) {
                    const value = path.split("/")[2]!;
                    assert.deepEqual(referenceValues(value, shape.segment), lazyRegexValues(value, shape.segment), `the reference itself, ${pattern} ${JSON.stringify(path)}`);
                    assert.deepEqual(varsAt(router, path), referenceVars(shape, path), `${pattern} ${JSON.stringify(path)}`);
                }
                for (const path of long) {
                    const { vars, ms } = timedVars(router, path);
                    longMatches++;
                    slowestMs = Math.max(slowestMs, ms);
                    found[vars === null ? "unmatched" : "matched"]++;
                    const shown = `${pattern} ${JSON.stringify(path.slice(0, 60))}… (${path.length} characters)`;
                    assert.ok(ms < ceilingMs, `${shown} took ${ms.toFixed(0)} ms`);
                    assert.deepEqual(vars, referenceVars(shape, path), shown);
                }
            }),
            { numRuns: scaled(500, 60), includeErrorInReport: true },
        );
        report("router time over adversarial paths", { runs, longMatches, pathLength: adversarialLength, ...found, slowestMs });
    });
});
