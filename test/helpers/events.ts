import http from "node:http";
// The parser behind vshs/testing, so the tests exercise it too.
import { EventStreamParser, type ServerEvent } from "../../dist/testing/parse-events.js";

/**
 * Opens an event stream with node:http (so the test controls the socket) and collects events
 * until `count` have arrived; `close()` drops the connection as a leaving client would.
 */
export function openEventStream(url: string, headers: Record<string, string> = {}) {
    const events: ServerEvent[] = [];
    const parser = new EventStreamParser();
    let waiting: { count: number; resolve: () => void } | null = null;
    let response: http.IncomingMessage | undefined;
    const request = http.get(url, { headers: { accept: "text/event-stream", ...headers } });
    const opened = new Promise<http.IncomingMessage>((resolve, reject) => {
        request.on("response", (res) => {
            response = res;
            res.setEncoding("utf8");
            res.on("data", (text: string) => {
                events.push(...parser.push(text));
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
