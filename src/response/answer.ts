import type { AnswerHeaders } from "../cors.ts";
import type { SSEResponse } from "./event-stream.ts";

export type { AnswerHeaders };

/**
 * What the pipeline hands back to a server adapter, free of any runtime's types.
 * Header names are lower-case.
 */
export type Answer =
    /** A body known in full (or none). */
    | { kind: "bytes"; status: number; headers: AnswerHeaders; body: string | Uint8Array | null }
    /** A body produced over time, e.g. from a returned `Response`. */
    | { kind: "stream"; status: number; headers: AnswerHeaders; body: ReadableStream<Uint8Array> }
    /** `length` bytes of a file from `start` (headers, Content-Length included, already decided). */
    | { kind: "file"; status: 200 | 206; headers: AnswerHeaders; path: string; start: number; length: number }
    /** An event stream: the adapter sends the headers, then lets the SSEResponse write. `origin`: the handler that returned it. */
    | { kind: "events"; status: 200; headers: AnswerHeaders; events: SSEResponse; origin?: unknown };

export function textAnswer(status: number, headers: Readonly<AnswerHeaders>, text: string): Answer {
    return { kind: "bytes", status, headers: { ...headers, "content-type": "text/plain; charset=utf-8" }, body: text };
}

export type FileAnswer = Extract<Answer, { kind: "file" }>;
export type EventsAnswer = Extract<Answer, { kind: "events" }>;
