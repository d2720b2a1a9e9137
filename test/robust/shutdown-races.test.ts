/**
 * Shutdown racing with requests: fast-check picks handlers that answer or open an event stream after a
 * random delay, requests that start at random times, and the moment close() is called. Property: close()
 * returns promptly (well within shutdownTimeout: nothing opened late holds it up), every stream ends, no
 * stream callback is left running (its timers stopped), and every request already in flight is answered.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import fc from "fast-check";
import { SSEResponse, startHTTPServer, type HandlerParams } from "vshs";
import { report, scaled } from "./scale.ts";

const shutdownTimeout = 20_000;

interface Plan {
    requests: { kind: "late-stream" | "stream" | "slow"; handlerMs: number; startMs: number }[];
    closeAtMs: number;
}

const planArbitrary: fc.Arbitrary<Plan> = fc.record({
    requests: fc.array(fc.record({ kind: fc.constantFrom<Plan["requests"][number]["kind"]>("late-stream", "stream", "slow"), handlerMs: fc.integer({ min: 0, max: 400 }), startMs: fc.integer({ min: 0, max: 300 }) }), { minLength: 1, maxLength: 8 }),
    closeAtMs: fc.integer({ min: 0, max: 400 }),
});

async function runPlan(plan: Plan): Promise<{ closeMs: number; running: number }> {
    let running = 0;
    const ticking = () =>
        new SSEResponse((self) => {
            running++;
            const timer = setInterval(() => void self.send("tick"), 10);
            self.onConnectionClosed = () => {
                clearInterval(timer);
                running--;
            };
        });
    const wait = ({ route }: HandlerParams) => sleep(Number(route.vars["ms"]));
    const started = new Set<string>(); // the requests whose handler ran: the server had them in hand
    const server = await startHTTPServer({
        hostname: "127.0.0.1",
        port: 0,
        shutdownTimeout,
        routes: {
            "/late-stream/{ms}/GET": async (params) => (await wait(params), ticking()),
            "/stream/{ms}/GET": () => ticking(),
            "/slow/{ms}/GET": async (params) => (started.add(params.url.search), await wait(params), "done"),
        },
    });
    const requests = plan.requests.map(async ({ kind, handlerMs, startMs }, index) => {
        await sleep(startMs);
        try {
            const response = await fetch(`${server.url}/${kind}/${handlerMs}?${index}`);
            const text = await response.text();
            if (kind === "slow") assert.equal(text, "done");
            else assert.match(text, /retry: \d+\n\n$/, "a stream ends with the retry hint");
        } catch (error) {
            // Refused, or its connection closed while idle: the server was closing. One it had in hand must be answered.
            assert.ok(!started.has(`?${index}`), `a request in flight was not answered: ${String(error)}`);
        }
    });
    await sleep(plan.closeAtMs);
    const closing = performance.now();
    await server.close();
    const closeMs = performance.now() - closing;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const hung = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("a request never ended")), 5000)));
    try {
        const outcomes = await Promise.race([Promise.allSettled(requests), hung]);
        for (const outcome of outcomes) if (outcome.status === "rejected") throw outcome.reason;
    } finally {
        clearTimeout(timer);
    }
    await sleep(20);
    return { closeMs, running };
}

describe("shutdown racing with requests", () => {
    it("close() returns promptly, every stream ends and stops its timers, requests in flight are answered", async () => {
        const runs = scaled(20, 8);
        let slowest = 0;
        await fc.assert(
            fc.asyncProperty(planArbitrary, async (plan) => {
                const { closeMs, running } = await runPlan(plan);
                slowest = Math.max(slowest, closeMs);
                // The slowest handler takes 400 ms; before the fix, a stream opened during shutdown held close() for the whole shutdownTimeout.
                assert.ok(closeMs < shutdownTimeout / 4, `close() took ${Math.round(closeMs)} ms`);
                assert.equal(running, 0, "stream callbacks still running after close()");
            }),
            { numRuns: runs },
        );
        report("shutdown races", { plans: runs, "slowest close, ms": Math.round(slowest) });
    });
});
