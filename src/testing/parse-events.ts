/** One event of a text/event-stream, as a browser's EventSource would see it. */
export interface ServerEvent {
    /** The event name; "message" when the server gave none. */
    event: string;
    data: string;
    id?: string;
    retry?: number;
}

/**
 * Parses a text/event-stream as it arrives (the WHATWG rules: lines end in \n, \r\n or \r; `data` lines
 * are joined with \n; a line starting with ":" is a comment; a blank line dispatches the event).
 */
export class EventStreamParser {
    #buffer = "";
    #data: string[] = [];
    #event = "";
    #id: string | undefined;
    #retry: number | undefined;

    /** Feeds text; returns the events it completed. */
    push(text: string): ServerEvent[] {
        this.#buffer += text;
        const events: ServerEvent[] = [];
        let end: number;
        while ((end = this.#buffer.search(/\r\n|\r|\n/)) !== -1) {
            // A lone \r at the very end may be the first half of \r\n: wait for more.
            if (this.#buffer[end] === "\r" && end === this.#buffer.length - 1) break;
            const line = this.#buffer.slice(0, end);
            this.#buffer = this.#buffer.slice(end + (this.#buffer.startsWith("\r\n", end) ? 2 : 1));
            const event = this.#line(line);
            if (event) events.push(event);
        }
        return events;
    }

    #line(line: string): ServerEvent | null {
        if (line === "") return this.#dispatch();
        if (line.startsWith(":")) return null;
        const colon = line.indexOf(":");
        const field = colon === -1 ? line : line.slice(0, colon);
        const value = colon === -1 ? "" : line.slice(colon + (line[colon + 1] === " " ? 2 : 1));
        if (field === "data") this.#data.push(value);
        else if (field === "event") this.#event = value;
        else if (field === "id" && !value.includes("\0")) this.#id = value;
        else if (field === "retry" && /^\d+$/.test(value)) this.#retry = Number(value);
        return null;
    }

    #dispatch(): ServerEvent | null {
        const hasData = this.#data.length > 0;
        const event: ServerEvent = { event: this.#event || "message", data: this.#data.join("\n") };
        if (this.#id !== undefined) event.id = this.#id;
        if (this.#retry !== undefined) event.retry = this.#retry;
        this.#data = [];
        this.#event = "";
        this.#retry = undefined;
        return hasData ? event : null;
    }
}
