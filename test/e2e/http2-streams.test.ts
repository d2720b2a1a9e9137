/**
 * Twenty event streams in one page. Over HTTP/1.1 a browser opens at most six connections per origin,
 * so the seventh EventSource of a page waits for one of them to end (forever, for an event stream);
 * over HTTPS the page and its twenty streams share one HTTP/2 connection, and all twenty are live.
 * The same page is loaded from a plain-HTTP server and from an HTTPS one, each with its own vshs.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Browser } from "playwright-core";
import { SSEResponse, type RoutesObject } from "vshs";
import { launchBrowser } from "./browser.ts";
import { localhostCertificate } from "../helpers/tls.ts";
import { serve } from "../helpers/server.ts";

const streamCount = 20;

/** A page that opens `streamCount` EventSources and counts, for each, the events it has received. */
const page = `<!doctype html><meta charset="utf-8"><title>twenty streams</title>
<script>
    window.received = Array(${streamCount}).fill(0);
    for (let index = 0; index < ${streamCount}; index++) {
        new EventSource("/ticks?stream=" + index).addEventListener("tick", () => window.received[index]++);
    }
</script>`;

const routes: RoutesObject = {
    "/GET": () => new Response(page, { headers: { "content-type": "text/html; charset=utf-8" } }),
    // One tick at once and then every 200 ms: a stream that is open gets several within a second.
    "/ticks/GET": () =>
        new SSEResponse((stream) => {
            const tick = () => stream.send({ at: Date.now() }, "tick");
            tick();
            const timer = setInterval(tick, 200);
            stream.onConnectionClosed = () => clearInterval(timer);
        }),
};

const browser: Browser = await launchBrowser();

/** How many events each of the page's streams has received after `ms` (a stream that never opened: 0). */
async function eventsPerStream(url: string, ms: number): Promise<{ received: number[]; protocol: string }> {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    try {
        const tab = await context.newPage();
        await tab.goto(url);
        await tab.waitForTimeout(ms);
        // Strings, not functions: tsx would wrap a function's body in helpers the page does not have.
        const received = (await tab.evaluate("window.received")) as number[];
        const protocol = (await tab.evaluate('performance.getEntriesByType("navigation")[0].nextHopProtocol')) as string;
        return { received, protocol };
    } finally {
        await context.close();
    }
}

describe("twenty EventSources in one page", () => {
    it("over HTTPS (HTTP/2): all twenty are live", async () => {
        const server = await serve({ routes, tls: await localhostCertificate() });
        const { received, protocol } = await eventsPerStream(server.url + "/", 2000);
        assert.equal(protocol, "h2");
        assert.equal(received.filter((count) => count >= 3).length, streamCount, `events per stream: ${received.join(" ")}`);
    });

    it("over plain HTTP/1.1: six are live, the other fourteen wait for a connection", async () => {
        const server = await serve({ routes });
        const { received, protocol } = await eventsPerStream(server.url + "/", 2000);
        assert.equal(protocol, "http/1.1");
        assert.equal(received.filter((count) => count > 0).length, 6, `events per stream: ${received.join(" ")}`);
    });
});
