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
}

export interface ServerHandle {
    /** e.g. `http://localhost:8080` */
    url: string;
    port: number;
    /** Stops accepting connections, lets requests in flight finish and ends open event streams. */
    close(): Promise<void>;
}
