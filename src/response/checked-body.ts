import type { Deadlines } from "../deadlines.ts";
import { HTTPError } from "../errors.ts";

/**
 * checkedBody within a time limit (the handler's): past it, a 503 and the body is let go. `contentLength`
 * is the answer's Content-Length header, if any.
 */
export function startedWithin(deadlines: Deadlines, body: ReadableStream<Uint8Array>, contentLength: string | string[] | undefined): Promise<ReadableStream<Uint8Array>> {
    return new Promise((resolve, reject) => {
        const deadline = deadlines.start(() => reject(new HTTPError(503, `The response body did not start within ${deadlines.timeout} ms (option handlerTimeout)`)));
        const inTime = () => deadline === null || deadline.cancel();
        Promise.resolve()
            .then(() => checkedBody(body, declaredLength(contentLength)))
            .then(
                (checked) => (inTime() ? resolve(checked) : void checked.cancel().catch(() => {})),
                (error: unknown) => inTime() && reject(error),
            );
    });
}

/**
 * A streamed body (a returned `Response`, `ReadableStream` or `Blob`) checked before and while it is sent.
 * Its first chunk is read before the status is committed, so a body that is locked, fails or yields
 * something other than bytes at once is the handler's error (a 500 with a message), not a connection
 * closed without an answer. A declared Content-Length is held to: the stream errors, and the runtime
 * closes the connection, rather than send one byte more or end one byte short, since either would
 * leave the next response on a kept-alive connection read as part of this one.
 */
export async function checkedBody(body: ReadableStream<Uint8Array>, declaredLength: number | undefined): Promise<ReadableStream<Uint8Array>> {
    if (body.locked) throw new TypeError("The handler returned a body stream that is locked (something else is reading it)");
    const reader = body.getReader();
    const first = await reader.read();
    let sent = 0;
    const counted = (chunk: unknown): Uint8Array => {
        if (!(chunk instanceof Uint8Array)) throw new TypeError(`A response body stream must yield Uint8Array chunks, not ${describe(chunk)}`);
        sent += chunk.byteLength;
        if (declaredLength !== undefined && sent > declaredLength) throw lengthMismatch(declaredLength, `more than ${declaredLength}`);
        return chunk;
    };
    const atEnd = () => {
        if (declaredLength !== undefined && sent !== declaredLength) throw lengthMismatch(declaredLength, String(sent));
    };
    let firstChunk: Uint8Array | undefined;
    try {
        if (first.done) atEnd();
        else firstChunk = counted(first.value);
    } catch (error) {
        reader.cancel().catch(() => {});
        throw error;
    }
    return new ReadableStream<Uint8Array>(
        {
            start(controller) {
                if (firstChunk === undefined) controller.close();
                else controller.enqueue(firstChunk);
            },
            async pull(controller) {
                try {
                    const next = await reader.read();
                    if (next.done) {
                        atEnd();
                        controller.close();
                    } else {
                        controller.enqueue(counted(next.value));
                    }
                } catch (error) {
                    reader.cancel().catch(() => {});
                    controller.error(error);
                }
            },
            cancel(reason) {
                return reader.cancel(reason);
            },
        },
        { highWaterMark: 0 },
    );
}

/** The Content-Length a handler's headers declare, if any; a value that is not a length is refused. */
function declaredLength(value: string | string[] | undefined): number | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== "string" || !/^\d{1,15}$/.test(value)) throw new TypeError(`The handler's answer has an invalid Content-Length: ${JSON.stringify(value)}`);
    return Number(value);
}

function lengthMismatch(declared: number, sent: string): TypeError {
    return new TypeError(`The response body does not match its Content-Length: ${declared} bytes declared, ${sent} sent; the connection was closed`);
}

function describe(value: unknown): string {
    if (value === null) return "null";
    if (typeof value !== "object") return `a ${typeof value}`;
    return `a ${(value as object).constructor?.name ?? "object"}`;
}
