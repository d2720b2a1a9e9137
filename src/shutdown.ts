import type { ServerAdapter } from "./contract.ts";


/**
 * A server's graceful stop, the same on every runtime: the adapter stops accepting connections and lets
 * the requests in flight finish; event streams end with a `retry:` hint and WebSockets with 1001 (and any
 * that opens from now on);
 * past `timeout` ms, the adapter cuts off what is left.
 */
export async function shutDown(adapter: ServerAdapter, longLived: readonly { closeAll(): void }[], timeout: number): Promise<void> {
    const stopped = adapter.stop(); // first, so that a stream ending now also ends its kept-alive connection
    for (const each of longLived) each.closeAll();
    const deadline = setTimeout(() => adapter.cutOff(), timeout);
    try {
        await stopped;
    } finally {
        clearTimeout(deadline);
    }
}
