/**
 * What a client may send and how long it may take: every bound the server puts on a request, with the
 * default that holds when the option is not given. The "Limits and timeouts" table of docs/limits-and-security.md is checked
 * against this object by a test.
 */
export const limitDefaults = {
    /** Bytes of request body (declared or streamed, chunked too) → 413. */
    maxBodySize: 1024 * 1024,
    /** Bytes of request line and headers together → 431. Node's own default. */
    maxHeaderSize: 16 * 1024,
    /** Characters of request target (path and query) → 414. */
    maxUrlLength: 8 * 1024,
    /** Fields of a urlencoded or multipart/form-data body → 413. */
    maxFields: 1000,
    /** Files of a multipart/form-data body → 413. */
    maxFiles: 100,
    /** Nesting of arrays and objects in a JSON body → 400. */
    maxJsonDepth: 64,
    /** ms for the request line and headers to arrive (slowloris) → 408, connection closed. */
    headersTimeout: 10_000,
    /** ms a request body may stay silent between two chunks (slow uploads) → 408, connection closed. */
    bodyTimeout: 10_000,
    /** ms for a whole request, headers and body, to arrive → 408, connection closed. */
    requestTimeout: 60_000,
    /** ms an idle keep-alive connection stays open between requests. */
    keepAliveTimeout: 5_000,
    /** ms a handler may take to return its value → 503; 0: no limit. */
    handlerTimeout: 30_000,
    /** Bytes an event stream's or a WebSocket's client may leave unread before it is cut off. */
    maxEventBuffer: 1024 * 1024,
    /** Bytes of one WebSocket message (all its frames) → the socket is closed with 1009. */
    maxMessageSize: 1024 * 1024,
    /** ms `close()` waits for requests in flight before closing their connections. */
    shutdownTimeout: 10_000,
} as const;

/** The limits of one server; options.ts checks each against the range it accepts. */
export type Limits = { -readonly [name in keyof typeof limitDefaults]: number };
