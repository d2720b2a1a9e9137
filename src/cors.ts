import type { AnswerHeaders } from "./contract.ts";

const allowedMethods = "POST, GET, PATCH, PUT, OPTIONS, DELETE";

/** Which origins a browser may call the API from, as the headers every answer starts from. */
export interface CorsPolicy {
    /** The headers of an answer to a request from `origin` (its Origin header); the same frozen object for the same origin. */
    headersFor(origin: string | undefined): Readonly<AnswerHeaders>;
    /** Whether those headers depend on the request's Origin: if not, a server need not read it. */
    readonly byOrigin: boolean;
}

/**
 * The `cors` option as a policy. `true`: any origin (`*`), without credentials, as browsers require of
 * `*`; `false`: no CORS headers; one origin: that origin, with credentials (cookies); a list: the
 * request's origin echoed back, with credentials, when it is one of them, and no permission otherwise.
 * A named origin varies the answer on Origin, so that a cache does not serve it to a page from another.
 */
export function corsPolicy(cors: boolean | string | readonly string[]): CorsPolicy {
    if (cors === false) return fixed(Object.freeze({}));
    if (cors === true) return fixed(Object.freeze({ "access-control-allow-origin": "*", "access-control-allow-methods": allowedMethods }));
    if (typeof cors === "string") return fixed(allowing(cors));
    const allowed = new Map(cors.map((origin) => [origin, allowing(origin)]));
    const refused: Readonly<AnswerHeaders> = Object.freeze({ vary: "Origin" });
    return { byOrigin: true, headersFor: (origin) => (origin === undefined ? refused : (allowed.get(origin) ?? refused)) };
}

function fixed(headers: Readonly<AnswerHeaders>): CorsPolicy {
    return { byOrigin: false, headersFor: () => headers };
}

function allowing(origin: string): Readonly<AnswerHeaders> {
    return Object.freeze({
        "access-control-allow-origin": origin,
        "access-control-allow-methods": allowedMethods,
        "access-control-allow-credentials": "true",
        vary: "Origin",
    });
}

/**
 * The answer to an OPTIONS request without its own route: a preflight that allows
 * the headers the browser asks for (so a cross-origin JSON POST works).
 */
export function preflightHeaders(base: Readonly<AnswerHeaders>, requestedHeaders: string | undefined, allow: string[]): AnswerHeaders {
    const headers: AnswerHeaders = { ...base };
    if (allow.length > 0) headers["allow"] = allow.join(", ");
    if (base["access-control-allow-origin"] === undefined) return headers;
    if (requestedHeaders) headers["access-control-allow-headers"] = requestedHeaders;
    // The methods this path answers, whatever their names (a PURGE route), rather than the usual list.
    if (allow.length > 0) headers["access-control-allow-methods"] = allow.join(", ");
    headers["access-control-max-age"] = "86400";
    headers["vary"] = base["vary"] ? "Origin, Access-Control-Request-Headers" : "Access-Control-Request-Headers";
    return headers;
}
