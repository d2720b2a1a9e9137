import type { ServerAdapter } from "./contract.ts";
import type { OpenStreams } from "./response/open-streams.ts";

/**
 * A server's graceful stop, the same on every runtime: the adapter stops accepting connections and lets
 * the requests in flight finish; event streams end with a `retry:` hint (and any that opens from now on);
 * past `timeout` ms, the adapter cuts off what is left.
 */
export async function shutDown(adapter: ServerAdapter, streams: OpenStreams, timeout: number): Promise<void> {
    const stopped = adapter.stop(); // first, so that a stream ending now also ends its kept-alive connection
    streams.closeAll();
    const deadline = setTimeout(() => adapter.cutOff(), timeout);
    try {
        await stopped;
    } finally {
        clearTimeout(deadline);
    }
}
