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

export interface HandlerParams<Body = any> {
    url: URL;
    /** The request body, already parsed according to its Content-Type. */
    body: Body;
    route: Route;
    request: RequestInfo;
}

/** The default export of a route file. Its return value decides the response. */
export type Handler = (params: HandlerParams) => unknown;

/** Routes given in code instead of a folder: `{ "/hello/GET": handler }`. */
export type RoutesObject = Record<string, Handler>;

export interface StartOptions {
    /** Default `localhost`. */
    hostname?: string;
    /** Default 8080; 0 picks a free port. */
    port?: number;
    /** A folder of route files (default `/routes`, next to the entry script) or an object of handlers. */
    routes?: string | RoutesObject;
    /** A folder served for GET and HEAD when no route matches. */
    static?: string;
    /** Largest accepted request body in bytes; larger ones answer 413. Default 1 MiB. */
    maxBodySize?: number;
    /** CORS headers on every answer: `true` (default, any origin), `false`, or the one origin allowed. */
    cors?: boolean | string;
    /** Reload route files (and the files they import) when they change, without a restart. Default false. */
    watch?: boolean;
    /** An access log line per request: `true` prints to stdout, a function receives each entry. Default false. */
    logger?: boolean | AccessLogger;
    /** How long `close()` waits for requests in flight before closing their connections, in ms. Default 10 000. */
    shutdownTimeout?: number;
    /** An event stream quiet for this long gets a comment line, so proxies keep it open, in ms; 0 for none. Default 15 000. */
    heartbeatInterval?: number;
    /** Bytes an event stream's client may leave unread before it is cut off. Default 1 MiB. */
    maxEventBuffer?: number;
    /** Events each channel keeps for clients that reconnect with a Last-Event-ID. Default 1 000. */
    channelHistory?: number;
    /** Channels travel through this Redis server (`redis://host:6379`), for several machines. Default: the REDIS_URL variable. */
    redisUrl?: string;
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
