/** Small builders of the pipeline's answers (the `Answer` type itself is in contract.ts). */
import type { Answer, AnswerHeaders } from "../contract.ts";

const shared = new WeakMap<Readonly<AnswerHeaders>, Map<string, Readonly<AnswerHeaders>>>();

/**
 * `base` with a Content-Type, as one frozen object per pair, made once: most answers of a server share a
 * handful of these, so an adapter can keep what it builds from each (a bytes answer marks it `reused`).
 */
export function sharedHeaders(base: Readonly<AnswerHeaders>, contentType: string): Readonly<AnswerHeaders> {
    let byType = shared.get(base);
    if (byType === undefined) shared.set(base, (byType = new Map()));
    let headers = byType.get(contentType);
    if (headers === undefined) byType.set(contentType, (headers = Object.freeze({ ...base, "content-type": contentType })));
    return headers;
}

/** A plain-text answer (errors, refusals). */
export function textAnswer(status: number, headers: Readonly<AnswerHeaders>, text: string): Answer {
    return { kind: "bytes", status, headers: { ...headers, "content-type": "text/plain; charset=utf-8" }, body: text };
}

/** HEAD: the GET answer's status and headers, with no body and no event stream started. */
export function withoutBody(answer: Answer): Answer {
    if (answer.kind === "bytes") return answer; // adapters send no body for HEAD
    if (answer.kind === "stream") void answer.body.cancel().catch(() => {});
    return { kind: "bytes", status: answer.status, headers: answer.headers, body: null };
}
