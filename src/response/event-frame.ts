/** One Server-Sent Event's fields, as `sendEvent({ data, event, id, retry })` takes them. */
export interface EventFields<Data = unknown> {
    /** A string is sent as it is, one `data:` line per line; anything else as JSON. */
    data: Data;
    event?: string | undefined;
    id?: string | number | undefined;
    /** How long the client waits before reconnecting, in ms. */
    retry?: number | undefined;
}

const lineBreak = /\r\n|\r|\n/;

/**
 * The text of one event, ending with the blank line that dispatches it. A line break inside `event`
 * or `id` would start a new field (an injection), so it is refused rather than escaped.
 */
export function eventFrame({ data, event, id, retry }: EventFields): string {
    let frame = "";
    if (event !== undefined && event !== "") frame += `event: ${assertFieldValue("event name", event)}\n`;
    if (id !== undefined) frame += `id: ${assertFieldValue("event id", typeof id === "number" ? String(id) : id)}\n`;
    if (retry !== undefined) {
        if (!Number.isSafeInteger(retry) || retry < 0) throw new TypeError(`retry must be a whole number of milliseconds, not ${String(retry)}`);
        frame += `retry: ${retry}\n`;
    }
    const text = typeof data === "string" ? data : (JSON.stringify(data) ?? "");
    // JSON has no line break outside its strings, where it escapes them: most data is one `data:` line.
    if (!text.includes("\n") && !text.includes("\r")) return `${frame}data: ${text}\n\n`;
    for (const line of text.split(lineBreak)) frame += `data: ${line}\n`;
    return frame + "\n";
}

/** An event name or id, refused if it would break the framing. */
export function assertFieldValue(what: string, value: string): string {
    if (value === lastFieldValue) return value; // a stream's events mostly share one name, sent to many streams
    if (typeof value !== "string") throw new TypeError(`An ${what} must be a string`);
    if (lineBreak.test(value)) throw new TypeError(`An ${what} cannot contain a line break`);
    if (value.includes("\0")) throw new TypeError(`An ${what} cannot contain a NUL character`);
    lastFieldValue = value;
    return value;
}

let lastFieldValue = "";
