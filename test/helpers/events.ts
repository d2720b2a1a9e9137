import http from "node:http";

export interface ServerEvent {
    event?: string;
    data: string;
    id?: string;
}

/**
 * Opens an event stream with node:http (so the test controls the socket) and collects events
 * until `count` have arrived; `close()` drops the connection as a leaving client would.
 */
export function openEventStream(url: string) {
    const events: ServerEvent[] = [];
    let buffer = "";
    let waiting: { count: number; resolve: () => void } | null = null;
    let response: http.IncomingMessage | undefined;
    const request = http.get(url, { headers: { accept: "text/event-stream" } });
    const opened = new Promise<http.IncomingMessage>((resolve, reject) => {
        request.on("response", (res) => {
            response = res;
            res.setEncoding("utf8");
            res.on("data", (text: string) => {
                buffer += text;
                let end: number;
                while ((end = buffer.indexOf("\n\n")) !== -1) {
                    events.push(parseEvent(buffer.slice(0, end)));
                    buffer = buffer.slice(end + 2);
                }
                if (waiting && events.length >= waiting.count) waiting.resolve();
            });
            resolve(res);
        });
        request.on("error", reject);
    });
    const ended = opened.then((res) => new Promise<void>((resolve) => res.on("close", resolve)));
    return {
        opened,
        events,
        ended,
        /** Resolves once `count` events have arrived in all. */
        waitFor(count: number): Promise<ServerEvent[]> {
            if (events.length >= count) return Promise.resolve(events);
            return new Promise((resolve) => {
                waiting = { count, resolve: () => resolve(events) };
            });
        },
        close(): void {
            response?.destroy();
            request.destroy();
        },
    };
}

function parseEvent(block: string): ServerEvent {
    const event: ServerEvent = { data: "" };
    const data: string[] = [];
    for (const line of block.split("\n")) {
        const colon = line.indexOf(":");
        const field = line.slice(0, colon);
        const value = line.slice(colon + 1).replace(/^ /, "");
        if (field === "data") data.push(value);
        else if (field === "event") event.event = value;
        else if (field === "id") event.id = value;
    }
    event.data = data.join("\n");
    return event;
}
