export type AnswerHeaders = Record<string, string | string[]>;

const allowedMethods = "POST, GET, PATCH, PUT, OPTIONS, DELETE";

/** The CORS headers every answer carries: none when `cors` is false, else the allowed origin and methods. */
export function corsHeaders(cors: boolean | string): Readonly<AnswerHeaders> {
    if (cors === false) return Object.freeze({});
    const origin = cors === true ? "*" : cors;
    const headers: AnswerHeaders = {
        "access-control-allow-origin": origin,
        "access-control-allow-methods": allowedMethods,
    };
    // With one named origin, a cache must not serve this answer to a page from another origin.
    if (origin !== "*") headers["vary"] = "Origin";
    return Object.freeze(headers);
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
