import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { HandlerParams, Middleware } from "vshs";
import { describeWindow, rateLimit } from "../../src/rate-limit/rate-limit.ts";
import { keptRateLimitKeys } from "../../src/rate-limit/stores.ts";
import { defaultKeysKept } from "../../src/rate-limit/sliding-window.ts";
import { captureErrors, serve } from "../helpers/server.ts";

const day = 24 * 60 * 60 * 1000;

/** A route calling the limiter, as a `_middleware.ts` would run it before the handler. */
const limited = (limiter: Middleware) => async (params: HandlerParams) => (await limiter(params)) ?? "ok";

/** GETs `path` `times` times, in turn; the statuses. */
async function statuses(server: { fetch(path: string): Promise<Response> }, path: string, times: number): Promise<number[]> {
    const seen: number[] = [];
    for (let n = 0; n < times; n++) seen.push((await server.fetch(path).then(async (response) => (await response.arrayBuffer(), response))).status);
    return seen;
}

describe("rateLimit's options", () => {
    it("are checked when it is called: a one-line TypeError naming the option", () => {
        const refused: [unknown, RegExp][] = [
            [undefined, /^rateLimit needs its options/],
            [{ max: 5 }, /^rateLimit: "window" must be a whole number of milliseconds from 1 to 31536000000, not undefined$/],
            [{ window: 0, max: 5 }, /"window" .* not 0$/],
            [{ window: 1.5, max: 5 }, /"window" .* not 1\.5$/],
            [{ window: "60000", max: 5 }, /"window" .* not "60000"$/],
            [{ window: Infinity, max: 5 }, /"window" .* not Infinity$/],
            [{ window: 1000 }, /^rateLimit: "max" must be a whole number of requests from 1 to 1000000000, not undefined$/],
            [{ window: 1000, max: -1 }, /"max" .* not -1$/],
            [{ window: 1000, max: 5, key: "ip" }, /^rateLimit: "key" must be a function .* not "ip"$/],
            [{ window: 1000, max: 5, name: "" }, /^rateLimit: "name" must be 1 to 100 printable ASCII characters .* not ""$/],
            [{ window: 1000, max: 5, name: "café" }, /"name" .* not "café"$/],
        ];
        for (const [options, message] of refused) {
            assert.throws(() => rateLimit(options as never), (error: Error) => error instanceof TypeError && message.test(error.message) && !error.message.includes("\n"), JSON.stringify(options));
        }
    });

    it("say the window in words in the 429's message", () => {
        assert.deepEqual([1000, 60_000, 300_000, day, 2 * day, 1500, 90_000].map(describeWindow), ["second", "minute", "5 minutes", "day", "2 days", "1500 ms", "90 seconds"]);
    });
});

// Windows far longer than a test, so that no window boundary falls between its requests.
const named = rateLimit({ window: day + 500, max: 1, name: 'login "strict"' });
const server = await serve({
    routes: {
        "/limited/GET": limited(rateLimit({ window: day, max: 3 })),
        "/again/GET": limited(rateLimit({ window: day, max: 3 })),
        "/named/GET": limited(named),
        "/shared/GET": limited(rateLimit({ window: day + 500, max: 5, name: 'login "strict"' })),
        "/per-user/GET": limited(rateLimit({ window: day, max: 1, key: ({ url }) => url.searchParams.get("user") ?? "anonymous" })),
        "/async-key/GET": limited(rateLimit({ window: day, max: 1, key: async ({ request }) => request.headers.get("x-api-key") ?? "" })),
        "/bad-key/GET": limited(rateLimit({ window: day, max: 1, key: () => 42 as unknown as string })),
        "/expiring/GET": limited(rateLimit({ window: 300, max: 1 })),
    },
});

describe("rateLimit in one process", () => {
    it("answers max requests, then 429 with Retry-After and the draft's RateLimit-Policy and RateLimit headers", async () => {
        assert.deepEqual(await statuses(server, "/limited", 3), [200, 200, 200]);
        const refused = await server.fetch("/limited");
        assert.equal(refused.status, 429);
        const retryAfter = Number(refused.headers.get("retry-after"));
        assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 86_401, `Retry-After: ${retryAfter}`);
        assert.equal(refused.headers.get("ratelimit-policy"), '"default";q=3;w=86400');
        assert.equal(refused.headers.get("ratelimit"), `"default";r=0;t=${retryAfter}`);
        assert.equal(await refused.text(), `Too many requests: at most 3 per day. Try again in ${retryAfter} second${retryAfter === 1 ? "" : "s"}.`);
    });

    it("keeps each limiter's counts apart, even with the same options", async () => {
        assert.deepEqual(await statuses(server, "/again", 4), [200, 200, 200, 429]);
    });

    it("shares the counts of limiters of one name and window; the name is a quoted string in the headers, and a window of no whole seconds has no w", async () => {
        assert.deepEqual(await statuses(server, "/named", 2), [200, 429]);
        const refused = await server.fetch("/named");
        assert.equal(refused.headers.get("ratelimit-policy"), '"login \\"strict\\"";q=1');
        assert.match(refused.headers.get("ratelimit")!, /^"login \\"strict\\"";r=0;t=\d+$/);
        assert.match(await refused.text(), /^Too many requests: at most 1 per 86400500 ms\. Try again in \d+ seconds?\.$/);
        const shared = await server.fetch("/shared");
        assert.equal(shared.status, 200, "max 5: one counted so far by the other limiter of the name");
    });

    it("counts by the key function's value, which may be awaited", async () => {
        assert.deepEqual(await statuses(server, "/per-user?user=ann", 2), [200, 429]);
        assert.deepEqual(await statuses(server, "/per-user?user=bob", 2), [200, 429]);
        assert.equal((await server.fetch("/async-key", { headers: { "x-api-key": "one" } })).status, 200);
        assert.equal((await server.fetch("/async-key", { headers: { "x-api-key": "one" } })).status, 429);
        assert.equal((await server.fetch("/async-key", { headers: { "x-api-key": "two" } })).status, 200);
    });

    it("answers 500 saying so when the key function returns no string", async () => {
        const { result: answer, logged } = await captureErrors(() => server.fetch("/bad-key"));
        assert.equal(answer.status, 500);
        assert.match(await answer.text(), /the key function must return a string, not 42/);
        assert.match(logged, /GET \/bad-key failed: TypeError: rateLimit: the key function must return a string/);
    });

    it("lets requests through again once the window has passed", async () => {
        let refused: Response | undefined;
        // Up to 3 tries: a window boundary may fall between two of them, and the one after it is then allowed.
        for (let n = 0; n < 3 && refused === undefined; n++) {
            const answer = await server.fetch("/expiring");
            await answer.arrayBuffer();
            if (answer.status === 429) refused = answer;
        }
        assert.equal(refused?.headers.get("retry-after"), "1");
        await sleep(2 * 300 + 20);
        assert.equal((await server.fetch("/expiring")).status, 200);
    });

    it("keeps counts for a bounded number of keys, however many clients there are", async () => {
        const many = rateLimit({ window: day, max: 1 });
        for (let n = 0; n < defaultKeysKept + 500; n++) {
            await many({ request: { ip: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}` } } as HandlerParams);
        }
        assert.equal(await keptRateLimitKeys(), defaultKeysKept);
    });
});
