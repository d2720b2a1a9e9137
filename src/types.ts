/** The route that matched: the pattern as written in the routes folder and the values of its `{variables}`. */
export interface Route {
    /** e.g. `/params/{name}/POST` */
    path: string;
    /** e.g. `{ name: "café" }`, percent-decoded */
    vars: Record<string, string>;
}

/** What a handler may want to know about the request beyond its URL and body. */
export interface RequestInfo {
    method: string;
    headers: Headers;
    /** The client's address as seen by the socket. */
    ip: string;
    /** Aborts when the client goes away before the answer is complete. */
    signal: AbortSignal;
}

/**
 * What the middleware of a request hand on to the next ones and to the handler, for this request only.
 * Empty at first; say what yours hold by declaration merging:
 * `declare module "vshs" { interface Locals { user?: User } }`.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface Locals {}

/** How a cookie is sent. Unset fields take the safe defaults: `Path=/`, `HttpOnly`, `SameSite=Lax`, `Secure` over HTTPS. */
export interface CookieOptions {
    /** Seconds until the browser forgets it (`Max-Age`); none: it lasts until the browser closes. */
    maxAge?: number;
    expires?: Date;
    path?: string;
    domain?: string;
    /** Sent only over HTTPS; default: whether this request came over HTTPS. */
    secure?: boolean;
    /** Out of reach of the page's scripts. Default true. */
    httpOnly?: boolean;
    /** Default "Lax": not sent with another site's POSTs, fetches or frames. */
    sameSite?: "Strict" | "Lax" | "None";
    partitioned?: boolean;
    /** Signed with the server's secret (HMAC-SHA-256), so that a client cannot forge or change it. */
    signed?: boolean;
}

/** The request's cookies, and the cookies the answer sets: `set` and `delete` reach the answer whatever the handler returns. */
export interface Cookies {
    /** The cookie's value as the client sent it; undefined if it has none. */
    get(name: string): string | undefined;
    /** A signed cookie's value; undefined if it is missing, or its signature is not the server's (forged, changed, cut). */
    get(name: string, options: { signed: true }): Promise<string | undefined>;
    /** Sets a cookie on the answer; any string round-trips. */
    set(name: string, value: string, options?: CookieOptions): void;
    /** Tells the browser to forget a cookie (give the path and domain it was set with, if not the defaults). */
    delete(name: string, options?: Pick<CookieOptions, "path" | "domain">): void;
}

/**
 * The status and headers of the answer, set by a handler (or its middleware) whatever it returns:
 * `response.status = 201; return todo;` sends the todo as JSON with 201.
 */
export interface ResponseHead {
    /**
     * The status of the answer the handler's value makes (200 unless set; 200–599). A returned
     * `Response` keeps its own; an event stream is 200 and a WebSocket 101; a thrown error sets its own.
     */
    status: number | undefined;
    /** Headers added to the answer, whatever it is (errors too); they win over the answer's own, but for its framing (Content-Length…). */
    readonly headers: Headers;
}

export interface HandlerParams<Body = any> {
    url: URL;
    /** The request body, already parsed according to its Content-Type: type it with `HandlerParams<{ title: string }>`. */
    body: Body;
    route: Route;
    request: RequestInfo;
    cookies: Cookies;
    /** What the middleware before the handler left for it (see `Locals`). */
    locals: Locals;
    /** The answer's status and headers, whatever the handler returns. */
    response: ResponseHead;
}

/** The default export of a route file. Its return value decides the response. */
export type Handler = (params: HandlerParams) => unknown;

/**
 * The default export of a `_middleware.ts` file: it runs before every route of its folder and below,
 * outermost folder first. Returning undefined lets the next one (then the handler) run; returning
 * anything else answers the request with it, as a handler's value would; throwing answers with the error.
 */
export type Middleware = (params: HandlerParams) => unknown;

/** Routes given in code instead of a folder: `{ "/hello/GET": handler }`; `"/admin/_middleware"` is the middleware of `/admin` and below. */
export type RoutesObject = Record<string, Handler>;

/** A static folder served under a URL prefix (`{ dir: "assets", prefix: "/static" }`). */
export interface StaticFolderOption {
    dir: string;
    /** Default `/`. */
    prefix?: string;
}

/** A certificate and its key, in PEM: each a file path or the PEM text itself. */
export interface TlsOptions {
    cert: string;
    key: string;
}

/** A content coding vshs compresses with (zstd where the runtime offers it). */
export type Encoding = "br" | "zstd" | "gzip";

export interface CompressOptions {
    /** Bodies smaller than this many bytes are sent as they are. Default 1024. */
    threshold?: number;
    /** The encodings offered, in the server's order of preference. Default `["br", "zstd", "gzip"]`. */
    encodings?: Encoding[];
}

export interface StartOptions {
    /** Default `localhost`. */
    hostname?: string;
    /** Default 8080; 0 picks a free port. */
    port?: number;
    /** A folder of route files (default `/routes`, next to the entry script) or an object of handlers. */
    routes?: string | RoutesObject;
    /**
     * Folders served for GET and HEAD when no route matches: a folder (served at `/`), `{ dir, prefix }`
     * (served under the URL prefix, e.g. `/static`), or a list of them, tried in order.
     */
    static?: string | StaticFolderOption | (string | StaticFolderOption)[];
    /** `Cache-Control: public, max-age=N` on static files, in seconds. Default 0 (revalidate every time). */
    staticMaxAge?: number;
    /**
     * Serve HTTPS: PEM certificate and key, each a file path or the PEM text. Browsers get HTTP/2 (where
     * the runtime offers it) and older clients HTTP/1.1 on the same port. Default: plain HTTP.
     */
    tls?: TlsOptions;
    /**
     * Compress answers with brotli, zstd or gzip as the client's Accept-Encoding prefers: `true` (default),
     * `false` (a proxy in front compresses), or the smallest body to compress and the encodings offered.
     */
    compress?: boolean | CompressOptions;
    /** Largest accepted request body in bytes, declared or streamed; larger ones answer 413. Default 1 MiB. */
    maxBodySize?: number;
    /** Largest request line and headers together, in bytes; larger ones answer 431. Default 16 KiB. */
    maxHeaderSize?: number;
    /** Longest request target (path and query), in characters; longer ones answer 414. Default 8 KiB. */
    maxUrlLength?: number;
    /** Most fields in a urlencoded or multipart/form-data body; more answer 413. Default 1 000. */
    maxFields?: number;
    /** Most files in a multipart/form-data body; more answer 413. Default 100. */
    maxFiles?: number;
    /** Deepest nesting of arrays and objects in a JSON body; deeper ones answer 400. Default 64. */
    maxJsonDepth?: number;
    /** How long the request line and headers may take to arrive, in ms; then 408 and the connection closes. Default 10 000; 0: no limit. */
    headersTimeout?: number;
    /** How long a request body may stay silent between two chunks, in ms; then 408 and the connection closes. Default 10 000; 0: no limit. */
    bodyTimeout?: number;
    /** How long a whole request (headers and body) may take to arrive, in ms; then 408. Default 60 000; 0: no limit. */
    requestTimeout?: number;
    /** How long an idle keep-alive connection stays open, in ms. Default 5 000. */
    keepAliveTimeout?: number;
    /** How long a handler may take to return its value, in ms; then 503. Default 30 000; 0: no limit. */
    handlerTimeout?: number;
    /** Serve files and folders whose name starts with a dot from the static folder. Default false. */
    dotfiles?: boolean;
    /**
     * Compress WebSocket messages (permessage-deflate, RFC 7692) with clients that offer it, on Node and
     * Bun (Deno's WebSocket does not compress). Costs CPU and memory per socket. Default false.
     */
    perMessageDeflate?: boolean;
    /**
     * Send the message of an unexpected exception with its 500 (as the original does). Default: true,
     * false when NODE_ENV is "production" (then the body says "Internal Server Error"; the error is logged).
     * An HTTPError's message is always sent.
     */
    exposeErrors?: boolean;
    /** CORS headers on every answer: `true` (default, any origin), `false`, or the one origin allowed. */
    cors?: boolean | string | string[];
    /** Reload route files (and the files they import) when they change, without a restart. Default false. */
    watch?: boolean;
    /** An access log line per request: `true` prints to stdout, a function receives each entry. Default false. */
    logger?: boolean | AccessLogger;
    /** How long `close()` waits for requests in flight before closing their connections, in ms. Default 10 000. */
    shutdownTimeout?: number;
    /** An event stream quiet for this long gets a comment line, so proxies keep it open, in ms; 0 for none. Default 15 000. */
    heartbeatInterval?: number;
    /** Bytes an event stream's or a WebSocket's client may leave unread before it is cut off. Default 1 MiB. */
    maxEventBuffer?: number;
    /** Bytes of one WebSocket message; a longer one closes the socket with 1009. Default 1 MiB. */
    maxMessageSize?: number;
    /** Events each channel keeps for clients that reconnect with a Last-Event-ID. Default 1 000. */
    channelHistory?: number;
    /** How many channels keep their ids and events: those most recently published to. Default 10 000. */
    channelsKept?: number;
    /** Channels travel through this Redis server (`redis://host:6379`), for several machines. Default: the REDIS_URL variable. */
    redisUrl?: string;
    /**
     * How long a Redis command may wait for its answer, in ms, before it fails (a publish then answers
     * 503, saying the event may have been published). 0: no limit. Default 5 000.
     */
    redisTimeout?: number;
    /**
     * The secret that signs cookies (`set(name, value, { signed: true })`), or a list for rotation: the
     * first signs, all verify. Default: the VSHS_SECRET variable; none: asking for a signed cookie answers 500.
     */
    secret?: string | string[];
    /**
     * How many proxies in front of the server to believe about the client's address (`X-Forwarded-For`,
     * `Forwarded`) and scheme. Default 0: `request.ip` is the socket's peer, whatever the client sends.
     */
    trustProxy?: number;
}

/** One answered request, for the access log. */
export interface AccessLogEntry {
    time: Date;
    method: string;
    /** The URL path, without the query. */
    path: string;
    status: number;
    durationMs: number;
}

export type AccessLogger = (entry: AccessLogEntry) => void;

/** A route as the server sees it: `{ method: "POST", path: "/params/{name}", file: "/…/POST.ts" }`. */
export interface RouteInfo {
    method: string;
    path: string;
    /** The route file; undefined for routes given as an object. */
    file?: string;
    /** The `_middleware` files that run before it, outermost first (none: omitted). */
    middleware?: string[];
}

export interface ServerHandle {
    /** e.g. `http://localhost:8080` */
    url: string;
    port: number;
    /** The routes served, most specific first (in watch mode, as of the last reload). */
    readonly routes: RouteInfo[];
    /**
     * Stops accepting connections, lets requests in flight finish (at most `shutdownTimeout` ms, then
     * their connections are closed), ends open event streams, and stops watching.
     */
    close(): Promise<void>;
}
