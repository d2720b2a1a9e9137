import type { Incoming } from "../contract.ts";
import type { HandlerParams, Locals, RequestInfo, Route } from "../types.ts";
import { CookieJar } from "./cookies.ts";
import { HandlerResponse } from "../response/response-head.ts";
import type { RequestTarget } from "./target.ts";

/** What a handler (and the middleware before it) receives; `url`, `request`, `cookies` and `locals` are made on first use. */
export class Params implements HandlerParams {
    readonly #target: RequestTarget;
    readonly #incoming: Incoming;
    readonly #secrets: readonly string[];
    #locals: Locals | undefined;
    /** Made when a handler first reads `cookies`: undefined for the many requests that never do. */
    cookieJar: CookieJar | undefined;
    /** Made when a handler first reads `response`. */
    responseHead: HandlerResponse | undefined;
    readonly body: unknown;
    readonly route: Route;

    constructor(target: RequestTarget, body: unknown, route: Route, incoming: Incoming, secrets: readonly string[]) {
        this.#target = target;
        this.body = body;
        this.route = route;
        this.#incoming = incoming;
        this.#secrets = secrets;
    }

    get url(): URL {
        return this.#target.url;
    }

    get request(): RequestInfo {
        return this.#incoming.info;
    }

    get cookies(): CookieJar {
        return (this.cookieJar ??= new CookieJar(this.#incoming.header("cookie"), this.#secrets, this.#incoming.secure));
    }

    get locals(): Locals {
        return (this.#locals ??= {});
    }

    get response(): HandlerResponse {
        return (this.responseHead ??= new HandlerResponse());
    }
}
