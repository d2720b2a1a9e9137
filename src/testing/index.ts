/**
 * `vshs/testing`: start your routes on a free port and talk to them, in a test.
 *
 *     const server = await testServer("routes");
 *     after(() => server.close());
 *     for await (const event of server.events("/clock")) { ...; break; }
 */
import path from "node:path";
import { startHTTPServer } from "../server.ts";
import type { RouteInfo, StartOptions } from "../types.ts";
import { EventStreamParser, type ServerEvent } from "./parse-events.ts";
import { openWebSocket, UpgradeRefused, type TestMessage, type TestWebSocket } from "./web-socket.ts";

export type { ServerEvent, TestMessage, TestWebSocket };
export { UpgradeRefused };

export interface TestServer {
    url: string;
    port: number;
    routes: RouteInfo[];
    /** fetch() with a path on this server: `server.fetch("/hello", { method: "POST", body })`. */
    fetch(pathname: string, init?: RequestInit): Promise<Response>;
    /** The events of a stream, parsed. Leaving a `for await` loop (or `close()`) disconnects, as a client going away. */
    events(pathname: string, init?: RequestInit): EventStream;
    /** A WebSocket client, once open: `send()`, `for await (const message of socket)`, `close()`; rejects with UpgradeRefused (its status and body) if the route answers without upgrading. */
    websocket(pathname: string, options?: { protocols?: string[]; headers?: Record<string, string> }): Promise<TestWebSocket>;
    close(): Promise<void>;
}

/**
 * An event stream as a client reads it: an async iterator of its events (`for await`, or
 * `const { value, done } = await stream.next()`), which disconnects when left (`break`, `return()`) or
 * on `close()`.
 */
export interface EventStream extends AsyncIterableIterator<ServerEvent, undefined, undefined> {
    /**
     * The response, once its headers have arrived: by then the stream is open on the server (its
     * SSEResponse callback has started, a channel stream follows its channel), so an event published
     * after `await stream.response` reaches it.
     */
    readonly response: Promise<Response>;
    /** The next event, or `{ done: true }` once the stream has ended (or was closed). */
    next(): Promise<IteratorResult<ServerEvent, undefined>>;
    /** Disconnects, as a client going away; what `break` in a `for await` loop calls. */
    return(): Promise<IteratorResult<ServerEvent, undefined>>;
    /** Disconnects. */
    close(): void;
}

/**
 * Starts a server for tests on a free port of 127.0.0.1. Give it a routes folder (relative to the
 * working folder, default "routes") or the options of startHTTPServer. Logs no access lines.
 */
export async function testServer(routesOrOptions: string | StartOptions = "routes"): Promise<TestServer> {
    const options = typeof routesOrOptions === "string" ? { routes: path.resolve(routesOrOptions) } : routesOrOptions;
    const server = await startHTTPServer({ hostname: "127.0.0.1", ...options, port: options.port ?? 0 });
    return {
        url: server.url,
        port: server.port,
        get routes() {
            return server.routes;
        },
        fetch: (pathname, init) => fetch(server.url + pathname, init),
        events: (pathname, init) => openEvents(server.url + pathname, init),
        websocket: (pathname, options) => openWebSocket(server.url + pathname, options),
        close: () => server.close(),
    };
}

function openEvents(url: string, init: RequestInit = {}): EventStream {
    const controller = new AbortController();
    const signal = init.signal ? AbortSignal.any([init.signal, controller.signal]) : controller.signal;
    const response = fetch(url, { ...init, signal, headers: { accept: "text/event-stream", ...init.headers } });
    const queue: ServerEvent[] = [];
    let reader: ReadableStreamDefaultReader<string> | undefined;
    const parser = new EventStreamParser();

    const next = async (): Promise<ServerEvent | null> => {
        while (queue.length === 0) {
            reader ??= (await response).body!.pipeThrough(new TextDecoderStream()).getReader();
            let chunk;
            try {
                chunk = await reader.read();
            } catch (error) {
                if (controller.signal.aborted) return null;
                throw error;
            }
            if (chunk.done) return null;
            queue.push(...parser.push(chunk.value));
        }
        return queue.shift()!;
    };
    const close = () => controller.abort();

    const ended: IteratorResult<ServerEvent, undefined> = { done: true, value: undefined };
    const stream: EventStream = {
        response,
        close,
        async next() {
            const event = await next();
            return event === null ? ended : { done: false, value: event };
        },
        async return() {
            close();
            return ended;
        },
        [Symbol.asyncIterator]: () => stream,
    };
    return stream;
}
