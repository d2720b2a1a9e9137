import type { AnswerHeaders } from "../cors.ts";
import type { SSEResponse } from "./event-stream.ts";

export type { AnswerHeaders };

/**
 * What the pipeline hands back to a server adapter, free of any runtime's types.
 * Header names are lower-case.
 */
export type Answer =
    /**
     * A body known in full (or none). `template`, when set, is a shared, frozen object, and `headers` is
     * that object: an adapter copies it before changing a header, and may reuse what it built from it
     * for the next answer alike.
     */
    | { kind: "bytes"; status: number; headers: AnswerHeaders; body: string | Uint8Array | null; template?: Readonly<AnswerHeaders> }
    /** A body produced over time, e.g. from a returned `Response`. */
    | { kind: "stream"; status: number; headers: AnswerHeaders; body: ReadableStream<Uint8Array> }
    /** `length` bytes of a file from `start` (headers, Content-Length included, already decided). */
    | { kind: "file"; status: 200 | 206; headers: AnswerHeaders; path: string; start: number; length: number }
    /** An event stream: the adapter sends the headers, then lets the SSEResponse write. `origin`: the handler that returned it. */
    | { kind: "events"; status: 200; headers: AnswerHeaders; events: SSEResponse; origin?: unknown };

const templates = new WeakMap<Readonly<AnswerHeaders>, Map<string, Readonly<AnswerHeaders>>>();

/** `base` with a Content-Type, as one shared frozen object per pair (see the `template` of a bytes answer). */
export function headersTemplate(base: Readonly<AnswerHeaders>, contentType: string): Readonly<AnswerHeaders> {
    let byType = templates.get(base);
    if (byType === undefined) templates.set(base, (byType = new Map()));
    let template = byType.get(contentType);
    if (template === undefined) byType.set(contentType, (template = Object.freeze({ ...base, "content-type": contentType })));
    return template;
}

export function textAnswer(status: number, headers: Readonly<AnswerHeaders>, text: string): Answer {
    return { kind: "bytes", status, headers: { ...headers, "content-type": "text/plain; charset=utf-8" }, body: text };
}

export type FileAnswer = Extract<Answer, { kind: "file" }>;
export type StreamAnswer = Extract<Answer, { kind: "stream" }>;
export type EventsAnswer = Extract<Answer, { kind: "events" }>;
