import type { Incoming } from "../contract.ts";
import type { HandlerParams, RequestInfo, Route } from "../types.ts";
import type { RequestTarget } from "./target.ts";

/** What a handler receives; `url` and `request` are made on first use. */
export class Params implements HandlerParams {
    readonly #target: RequestTarget;
    readonly #incoming: Incoming;
    readonly body: unknown;
    readonly route: Route;

    constructor(target: RequestTarget, body: unknown, route: Route, incoming: Incoming) {
        this.#target = target;
        this.body = body;
        this.route = route;
        this.#incoming = incoming;
    }

    get url(): URL {
        return this.#target.url;
    }

    get request(): RequestInfo {
        return this.#incoming.info;
    }
}
