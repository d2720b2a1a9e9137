import FindMyWay from "find-my-way";
import { HTTPError, StartupError } from "../errors.ts";
import type { Handler, Route } from "../types.ts";
import type { MiddlewareEntry } from "./middleware-chain.ts";
import { bySpecificity } from "./ranking.ts";
import { variableCapture } from "./segment-pattern.ts";

/** A handler with the method and URL pattern it answers, and where it came from (for messages). */
export interface RouteEntry {
    method: string;
    /** `/params/{name}`: `{…}` marks a variable, also inside a segment (`/{a}-{b}.json`). */
    pattern: string;
    handler: Handler;
    /** For messages: the file (relative to the working folder) or the key of a routes object. */
    source: string;
    /** The route file, when the route comes from one. */
    file?: string;
    /** The middleware `handler` runs behind, outermost first (already part of `handler`). */
    middleware?: readonly MiddlewareEntry[];
}

export interface RouteMatch {
    handler: Handler;
    route: Route;
}

interface Store {
    entry: RouteEntry;
    path: string;
    varNames: string[];
}

const variable = /\{([^{}]*)\}/g;
// A path a client sends as it is, with nothing the tree would decode or treat as special (%, :).
const sentAsIs = /^\/[A-Za-z0-9\-._~!$&'()*+,;=@/]*$/;
const variableName = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * Matches (method, path) to a handler with a radix tree (find-my-way, Fastify's router):
 * lookups do not slow down as routes are added, and static segments win over variables.
 */
export class Router {
    // find-my-way decodes the path while matching and answers through onBadUrl if it cannot: the one decoding a routed request gets.
    readonly #tree = FindMyWay({ maxParamLength: 8192, onBadUrl: noop });
    readonly #methods = new Set<string>();
    /**
     * Routes without variables, by path then method: a request for exactly such a path is answered by a
     * map lookup, which is what the tree would find (static routes win), in half its time or less.
     */
    readonly #exact = new Map<string, Map<string, Store>>();
    /** The routes, most specific first. */
    readonly entries: readonly RouteEntry[];

    constructor(entries: readonly RouteEntry[]) {
        const claimed = new Map<string, RouteEntry>();
        this.entries = [...entries].sort(bySpecificity);
        for (const entry of this.entries) this.#add(entry, claimed);
    }

    #add(entry: RouteEntry, claimed: Map<string, RouteEntry>): void {
        const { path, varNames } = toTreePath(entry);
        const key = `${entry.method} ${entry.pattern.replace(variable, "{}")}`;
        const earlier = claimed.get(key);
        if (earlier) throw new StartupError(`Two routes claim ${entry.method} ${entry.pattern}: ${earlier.source} and ${entry.source}`);
        claimed.set(key, entry);
        const store: Store = { entry, path: `${entry.pattern === "/" ? "" : entry.pattern}/${entry.method}`, varNames };
        try {
            this.#tree.on(entry.method as FindMyWay.HTTPMethod, path, noop, store);
        } catch (error) {
            throw new StartupError(`${entry.source}: cannot route ${entry.method} ${entry.pattern}: ${(error as Error).message}`);
        }
        this.#methods.add(entry.method);
        if (varNames.length === 0 && sentAsIs.test(entry.pattern)) {
            let byMethod = this.#exact.get(entry.pattern);
            if (byMethod === undefined) this.#exact.set(entry.pattern, (byMethod = new Map()));
            byMethod.set(entry.method, store);
        }
    }

    /** The handler for this method and (percent-encoded) path, or null; a 400 HTTPError for a malformed encoding. */
    match(method: string, pathname: string): RouteMatch | null {
        const exact = this.#exact.get(pathname)?.get(method);
        if (exact !== undefined) return { handler: exact.entry.handler, route: { path: exact.path, vars: {} } };
        if (!this.#methods.has(method)) return null;
        const found = this.#tree.find(method as FindMyWay.HTTPMethod, pathname);
        if (found === null) return null;
        const store = found.store as Store | null;
        if (store === null) throw malformedPath(pathname); // only onBadUrl's answer has no store
        const vars: Record<string, string> = {};
        for (const name of store.varNames) {
            const value = found.params[name];
            if (!value) return null; // a variable matches one character or more
            vars[name] = value;
        }
        return { handler: store.entry.handler, route: { path: store.path, vars } };
    }

    /** The entry a request would reach, ignoring variable values (for check-routes.ts). */
    matchEntry(method: string, pathname: string): RouteEntry | null {
        const found = this.#methods.has(method) ? this.#tree.find(method as FindMyWay.HTTPMethod, pathname) : null;
        return (found?.store as Store | null | undefined)?.entry ?? null;
    }

    /** Every method some route answers (for `OPTIONS *`). */
    get methods(): string[] {
        return [...this.#methods];
    }

    /** The methods some route answers at this path, for 405's `Allow` and OPTIONS. */
    methodsAt(pathname: string): string[] {
        const methods: string[] = [];
        for (const method of this.#methods) {
            if (this.match(method, pathname)) methods.push(method);
        }
        return methods;
    }
}

function noop(): void {}

export function malformedPath(pathname: string): HTTPError {
    return new HTTPError(400, `Malformed percent-encoding in the URL path: ${pathname.slice(0, 200)}`);
}

/** Throws a 400 HTTPError if the path's percent-encoding does not decode (the router checks it for routed requests). */
export function assertDecodable(pathname: string): void {
    if (!pathname.includes("%")) return;
    try {
        decodeURIComponent(pathname);
    } catch {
        throw malformedPath(pathname);
    }
}

/**
 * `/users/{id}` → find-my-way's `/users/:id`; a variable inside text, `/files/{a}-{b}.json`, gets an explicit
 * one-or-more pattern so that any text may follow it, not only "-" or "." (see segment-pattern.ts).
 */
function toTreePath(entry: RouteEntry): { path: string; varNames: string[] } {
    const varNames: string[] = [];
    const segments = entry.pattern.split("/").map((segment) => {
        const whole = /^\{([^{}]*)\}$/.exec(segment);
        if (whole) return ":" + checkedName(whole[1]!, entry, varNames);
        return inSegmentPath(segment, entry, varNames);
    });
    return { path: segments.join("/"), varNames };
}

/** A segment with variables inside text, or with none: `v{major}.{minor}` → `v:major(…).:minor(…)`. */
function inSegmentPath(segment: string, entry: RouteEntry, varNames: string[]): string {
    const found = [...segment.matchAll(variable)];
    let converted = escapeStatic(segment.slice(0, found[0]?.index ?? segment.length), entry);
    for (const [index, current] of found.entries()) {
        const name = checkedName(current[1]!, entry, varNames);
        const next = found[index + 1];
        const text = segment.slice(current.index + current[0].length, next?.index ?? segment.length);
        if (next !== undefined && text === "") throw new StartupError(`${entry.source}: variables {${name}}{${next[1]}} must be separated by some text`);
        converted += ":" + name + variableCapture(next === undefined ? undefined : text) + escapeStatic(text, entry);
    }
    return converted;
}

function checkedName(name: string, entry: RouteEntry, varNames: string[]): string {
    if (!variableName.test(name)) throw new StartupError(`${entry.source}: "{${name}}" is not a valid variable name (letters, digits and _, not starting with a digit)`);
    if (varNames.includes(name)) throw new StartupError(`${entry.source}: variable {${name}} appears twice in ${entry.pattern}`);
    varNames.push(name);
    return name;
}

function escapeStatic(text: string, entry: RouteEntry): string {
    if (/[{}*]/.test(text)) throw new StartupError(`${entry.source}: "${entry.pattern}" has a "{", "}" or "*" outside a {variable}`);
    return text.replaceAll(":", "::");
}
