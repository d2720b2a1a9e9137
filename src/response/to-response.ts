import type { Answer, AnswerHeaders, EventStream, Incoming } from "../contract.ts";
import type { Handler } from "../types.ts";
import { isWebSocketResponse, type WebSocketResponse } from "./web-socket.ts";
import { sharedHeaders } from "./answer.ts";
import { eventStreamHeaders, isSSEResponse, type SSEResponse } from "./event-stream.ts";
import { decodedByFetch } from "./fetch-codings.ts";

/**
 * How the long-lived answers are made, knowing which handler returned them (followed for watch-mode
 * reloads) and for which request (see Pipeline); made once per server, not per request.
 */
export interface LongLived {
    /** An SSEResponse → the answer's stream (OpenStreams makes it). */
    eventStream(stream: SSEResponse, handler: Handler): EventStream;
    /** A WebSocketResponse → the socket answer, or the refusal of a request that is no valid upgrade. */
    socket(socket: WebSocketResponse, base: Readonly<AnswerHeaders>, handler: Handler, incoming: Incoming): Answer;
}

/** A handler's return value → the answer, by one ordered chain of type checks (the seed's response table). */
export function toAnswer(value: unknown, base: Readonly<AnswerHeaders>, longLived: LongLived, handler: Handler, incoming: Incoming, status = 200): Answer {
    if (value === null || value === undefined) return { kind: "bytes", status, headers: base, body: null, reused: true };
    if (typeof value === "string") return bytes(status, base, "text/plain; charset=utf-8", value);
    // The common case first: a plain object or array skips the checks for the other kinds.
    const prototype = Object.getPrototypeOf(value);
    if (prototype === Object.prototype || prototype === Array.prototype) return bytes(status, base, "application/json", toJSON(value));
    if (isSSEResponse(value)) return { kind: "events", status: 200, headers: { ...base, ...eventStreamHeaders }, stream: longLived.eventStream(value, handler) };
    if (isWebSocketResponse(value)) return longLived.socket(value, base, handler, incoming);
    if (value instanceof Response) return fromResponse(value, base);
    if (value instanceof Uint8Array) return bytes(status, base, "application/octet-stream", value);
    if (ArrayBuffer.isView(value)) return bytes(status, base, "application/octet-stream", new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
    if (value instanceof ArrayBuffer) return bytes(status, base, "application/octet-stream", new Uint8Array(value));
    if (value instanceof Blob) return fromBlob(value, status, base);
    if (value instanceof URLSearchParams) return bytes(status, base, "application/x-www-form-urlencoded", value.toString());
    if (value instanceof FormData) return fromFormData(value, status, base);
    if (value instanceof ReadableStream) return { kind: "stream", status, headers: { ...base, "content-type": "application/octet-stream" }, body: value };
    if (value instanceof Map || value instanceof Set) {
        throw new TypeError(`The handler returned a ${value.constructor.name}, which JSON would send as {}: return ${value instanceof Map ? "Object.fromEntries(map)" : "[...set]"} instead`);
    }
    return bytes(status, base, "application/json", toJSON(value));
}

function bytes(status: number, base: Readonly<AnswerHeaders>, contentType: string, body: string | Uint8Array): Answer {
    return { kind: "bytes", status, headers: sharedHeaders(base, contentType), body, reused: true };
}

function toJSON(value: unknown): string {
    let json: string | undefined;
    try {
        json = JSON.stringify(value, null, 4);
    } catch (error) {
        // In our words: each engine words this error its own way.
        throw new TypeError(`The handler returned a value JSON cannot express: ${whatJSONRefuses(value) ?? (error as Error).message}`);
    }
    if (json === undefined) throw new TypeError(`The handler returned a ${typeof value}, which cannot be sent as a response`);
    return json;
}

/** Why JSON.stringify threw: a BigInt somewhere, or an object that contains itself. */
function whatJSONRefuses(value: unknown): string | undefined {
    const open: unknown[] = [];
    const visit = (each: unknown): string | undefined => {
        if (typeof each === "bigint") return "it contains a BigInt";
        if (typeof each !== "object" || each === null || typeof (each as { toJSON?: unknown }).toJSON === "function") return undefined;
        if (open.includes(each)) return "it contains itself (a circular reference)";
        open.push(each);
        for (const child of Object.values(each)) {
            const found = visit(child);
            if (found) return found;
        }
        open.pop();
        return undefined;
    };
    return visit(value);
}

function fromBlob(blob: Blob, status: number, base: Readonly<AnswerHeaders>): Answer {
    const headers = { ...base, "content-type": blob.type || "application/octet-stream", "content-length": String(blob.size) };
    return { kind: "stream", status, headers, body: blob.stream() };
}

// Fields only: urlencoded, as the seed answers. With files, urlencoding would lose them: multipart instead.
function fromFormData(form: FormData, status: number, base: Readonly<AnswerHeaders>): Answer {
    const fields: [string, string][] = [];
    for (const [name, value] of form) {
        if (typeof value !== "string") return fromResponse(new Response(form, { status }), base);
        fields.push([name, value]);
    }
    return bytes(status, base, "application/x-www-form-urlencoded", new URLSearchParams(fields).toString());
}

/** RFC 9110 §7.6.1: headers about one connection, which the connection to the client must not inherit. */
const hopByHop = new Set(["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"]);

/**
 * A web Response is sent with its status, headers and body; the CORS headers are added where it has
 * none of its own. Its hop-by-hop headers are left out, and the runtime frames the body, so a Response
 * from `fetch()` can be passed through: its body arrives decoded, so its coding and length go too.
 */
function fromResponse(response: Response, base: Readonly<AnswerHeaders>): Answer {
    if (response.bodyUsed) throw new TypeError("The handler returned a Response whose body was already read");
    const headers: AnswerHeaders = { ...base };
    const connectionOptions = new Set(response.headers.get("connection")?.toLowerCase().split(",").map((name) => name.trim()));
    for (const [name, value] of response.headers) {
        if (name !== "set-cookie" && !hopByHop.has(name) && !connectionOptions.has(name)) headers[name] = value;
    }
    const cookies = response.headers.getSetCookie();
    if (cookies.length > 0) headers["set-cookie"] = cookies;
    const coding = headers["content-encoding"];
    if (response.url !== "" && typeof coding === "string" && decodedByFetch(coding)) {
        delete headers["content-encoding"];
        delete headers["content-length"];
    }
    if (response.body === null) return { kind: "bytes", status: response.status, headers, body: null };
    return { kind: "stream", status: response.status, headers, body: response.body };
}
