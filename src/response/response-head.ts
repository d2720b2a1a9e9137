/**
 * `response` of the handler's parameters: the status of the answer its value makes, and headers that
 * reach whatever answer the request gets (as Hono's `c.status()`/`c.header()` and h3's
 * `setResponseStatus`/`setResponseHeader` do), so a created object is `response.status = 201; return todo;`.
 */
import type { Answer } from "../contract.ts";
import type { ResponseHead } from "../types.ts";

/** Headers the server frames itself: a handler's value would contradict the body actually sent. */
const framing = new Set(["content-length", "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"]);
/** Statuses that carry no body (RFC 9110 §15.3.5, §15.3.6, §15.4.5): a value returned with one is not sent. */
const bodiless = new Set([204, 205, 304]);

export class HandlerResponse implements ResponseHead {
    #status: number | undefined;
    readonly headers = new Headers();

    get status(): number | undefined {
        return this.#status;
    }

    /** Checked here, so that a mistake is the handler's error at the line that made it. */
    set status(status: number | undefined) {
        if (status !== undefined && !(Number.isInteger(status) && status >= 200 && status <= 599)) {
            throw new TypeError(`response.status must be a whole number from 200 to 599, not ${JSON.stringify(status)} (1xx statuses are the server's)`);
        }
        this.#status = status;
    }
}

/** The answer with the headers a handler set on `response` (its value wins over the answer's own, but for framing). */
export function withResponseHeaders(response: HandlerResponse | undefined, answer: Answer): Answer {
    if (response === undefined) return answer;
    const added = [...response.headers].filter(([name]) => name !== "set-cookie" && !framing.has(name));
    const cookies = response.headers.getSetCookie();
    if (added.length === 0 && cookies.length === 0) return answer;
    const headers = { ...answer.headers, ...Object.fromEntries(added) };
    if (cookies.length > 0) {
        const own = answer.headers["set-cookie"];
        headers["set-cookie"] = [...(own === undefined ? [] : Array.isArray(own) ? own : [own]), ...cookies];
    }
    const { reused: _shared, ...rest } = answer as Answer & { reused?: true };
    return { ...rest, headers } as Answer;
}

/** A 204, 205 or 304 sends no body, whatever the handler returned. */
export function withStatusRules(answer: Answer): Answer {
    if (!bodiless.has(answer.status) || (answer.kind !== "bytes" && answer.kind !== "stream")) return answer;
    if (answer.kind === "stream") void answer.body.cancel().catch(() => {});
    const { "content-type": _type, ...headers } = answer.headers;
    return { kind: "bytes", status: answer.status, headers, body: null };
}
