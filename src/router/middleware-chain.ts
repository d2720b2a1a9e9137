import type { Handler, HandlerParams, Middleware } from "../types.ts";

/** A middleware with where it came from (for messages and watch mode). */
export interface MiddlewareEntry {
    handler: Middleware;
    /** The folder it guards, as a URL pattern: `/admin` (`/` for the whole tree). */
    pattern: string;
    /** For messages: the file, or the key of a routes object. */
    source: string;
    /** The `_middleware` file, when it comes from one. */
    file?: string;
}

/** The middleware that run before a route at `pattern`: those of its folder and the folders above, outermost first. */
export function middlewareFor(pattern: string, middleware: readonly MiddlewareEntry[]): MiddlewareEntry[] {
    return middleware.filter((each) => contains(each.pattern, pattern)).sort((a, b) => depth(a.pattern) - depth(b.pattern));
}

/**
 * The route's handler behind its middleware: each runs in turn; one that returns anything but undefined
 * answers the request with it (the handler and the rest do not run); a throw is the request's error.
 * A route with no middleware keeps its handler as it is, and a middleware that answers without a
 * promise costs no promise.
 */
export function behindMiddleware(handler: Handler, middleware: readonly MiddlewareEntry[]): Handler {
    if (middleware.length === 0) return handler;
    const chain = middleware.map((each) => each.handler);
    return (params) => runFrom(0, chain, handler, params);
}

function runFrom(index: number, chain: readonly Middleware[], handler: Handler, params: HandlerParams): unknown {
    for (let i = index; i < chain.length; i++) {
        const value = chain[i]!(params);
        if (isThenable(value)) return Promise.resolve(value).then((settled) => (settled === undefined ? runFrom(i + 1, chain, handler, params) : settled));
        if (value !== undefined) return value;
    }
    return handler(params);
}

/** Whether the folder at `outer` holds `inner` (segment by segment: `/admin` holds `/admin/stats`, not `/administrator`). */
function contains(outer: string, inner: string): boolean {
    return outer === "/" || inner === outer || inner.startsWith(outer + "/");
}

function depth(pattern: string): number {
    return pattern === "/" ? 0 : pattern.split("/").length - 1;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
    return typeof (value as PromiseLike<unknown> | null)?.then === "function";
}
