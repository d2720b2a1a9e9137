import assert from "node:assert/strict";
import http from "node:http";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { createClient } from "@redis/client";
import { rateLimit } from "../../src/rate-limit/rate-limit.ts";
import { RedisStore } from "../../src/rate-limit/redis.ts";
import { useRateLimits } from "../../src/rate-limit/stores.ts";
import { startCli, type RunningCli } from "../helpers/cli.ts";
import { fixturesDir } from "../helpers/server.ts";
import { freePort, skipWithoutRedis, startRedis, type RedisServer } from "../helpers/redis.ts";

const routes = path.join(fixturesDir, "rate-limit/routes");

interface Answered {
    status: number;
    headers: http.IncomingHttpHeaders;
    pid: number;
}

/** A GET on a connection of its own, so that the requests spread over the processes listening. */
function get(url: string): Promise<Answered> {
    return new Promise((resolve, reject) => {
        const request = http.get(url, { agent: false }, (response) => {
            let text = "";
            response.setEncoding("utf8");
            response.on("data", (chunk) => (text += chunk));
            response.on("end", () => resolve({ status: response.statusCode!, headers: response.headers, pid: JSON.parse(text).pid }));
        });
        request.on("error", reject);
    });
}

/** Sends `count` requests at once to `urls` in turn: the fixture's 10 are allowed in all, whichever process counted them. */
async function assertOneLimit(urls: string[], count = 30): Promise<void> {
    const answers = await Promise.all(Array.from({ length: count }, (_, n) => get(urls[n % urls.length]!)));
    assert.equal(answers.filter((answer) => answer.status === 200).length, 10, "10 allowed in all");
    assert.equal(answers.filter((answer) => answer.status === 429).length, count - 10);
    assert.equal(new Set(answers.map((answer) => answer.pid)).size, 2, "both processes answered");
    const refused = answers.find((answer) => answer.status === 429)!;
    assert.match(String(refused.headers["retry-after"]), /^\d+$/);
    assert.equal(refused.headers["ratelimit-policy"], '"default";q=10;w=86400');
    assert.equal(refused.headers["ratelimit"], `"default";r=0;t=${refused.headers["retry-after"]}`);
}

// On Deno, the CLI command of the tests adds --unstable-net, which --workers needs there.
describe("rate limits across vshs --workers", () => {
    let cli: RunningCli | undefined;
    after(() => cli?.signal("SIGTERM"));

    it("hold one limit per client, counted by the primary, whichever worker each request reaches", async () => {
        cli = await startCli([routes, "--host", "127.0.0.1", "--port", "0", "--workers", "2", "--quiet"]);
        await assertOneLimit([cli.url + "/limited"]);
    });
});

/** A plain client, to look at what the limits keep. */
function connectAdmin(url: string) {
    return createClient({ url }).connect();
}

const skip = skipWithoutRedis;

describe("rate limits through a real redis-server", { skip }, () => {
    let redis: RedisServer;
    let admin: Awaited<ReturnType<typeof connectAdmin>>;
    const stores: RedisStore[] = [];
    const clis: RunningCli[] = [];
    before(async () => {
        redis = await startRedis();
        admin = await connectAdmin(redis.url);
    });
    after(async () => {
        for (const cli of clis) cli.signal("SIGTERM");
        await Promise.all([...clis.map((cli) => cli.exited), ...stores.map((store) => store.close())]);
        await admin?.close();
        await redis?.stop();
    });
    const storeOf = async () => {
        const store = await RedisStore.connect(redis.url, 0);
        stores.push(store);
        return store;
    };

    it("hold one limit across two processes", async () => {
        clis.push(...(await Promise.all([startCli([routes, "--host", "127.0.0.1", "--port", "0", "--quiet", "--redis", redis.url]), startCli([routes, "--host", "127.0.0.1", "--port", "0", "--quiet"], { env: { REDIS_URL: redis.url } })])));
        await assertOneLimit(clis.map((cli) => cli.url + "/limited"));
        const keys = await admin.keys("vshs:rate-limit:*");
        assert.deepEqual(keys, [`vshs:rate-limit:${encodeURIComponent("10/86400000ms#1")}:127.0.0.1`]);
        const ttl = await admin.pTTL(keys[0]!);
        assert.ok(ttl > 0 && ttl <= 2 * 86_400_000, `the key expires (in ${ttl} ms)`);
    });

    it("count atomically: exactly max allowed among requests racing through several connections", async () => {
        const [a, b] = await Promise.all([storeOf(), storeOf()]);
        const limit = { namespace: "race", window: 86_400_000, max: 25 };
        const verdicts = await Promise.all(Array.from({ length: 100 }, (_, n) => (n % 2 === 0 ? a : b).hit(limit, "client")));
        assert.equal(verdicts.filter((verdict) => verdict.allowed).length, 25);
        for (const verdict of verdicts) if (!verdict.allowed) assert.ok(verdict.retryAfterMs > 0 && verdict.retryAfterMs <= 86_400_001);
    });

    it("let requests through again once the window has passed, and keep nothing after two", async () => {
        const store = await storeOf();
        const limit = { namespace: "short", window: 200, max: 1 };
        let refusal: { allowed: boolean; retryAfterMs?: number } | undefined;
        // Up to 3 tries: a window boundary may fall between two of them, and the one after it is then allowed.
        for (let n = 0; n < 3 && refusal === undefined; n++) {
            const verdict = await store.hit(limit, "client");
            if (!verdict.allowed) refusal = verdict;
        }
        assert.ok(refusal!.retryAfterMs! > 0 && refusal!.retryAfterMs! <= 401, `retry after ${refusal!.retryAfterMs} ms`);
        const key = `vshs:rate-limit:short:client`;
        assert.ok((await admin.pTTL(key)) <= 400);
        await sleep(refusal!.retryAfterMs!);
        assert.equal((await store.hit(limit, "client")).allowed, true);
        await sleep(2 * 200 + 20);
        assert.equal(await admin.exists(key), 0, "the key has expired");
    });

    it("send the script again to a Redis that no longer has it", async () => {
        const store = await storeOf();
        const limit = { namespace: "flushed", window: 86_400_000, max: 1 };
        assert.equal((await store.hit(limit, "client")).allowed, true);
        await admin.scriptFlush();
        assert.equal((await store.hit(limit, "client")).allowed, false);
    });
});

describe("a server whose Redis cannot be reached", () => {
    it("does not start when a limiter exists, naming the URL (in a StartupError)", async () => {
        rateLimit({ window: 1000, max: 1 });
        const url = `redis://127.0.0.1:${await freePort()}`;
        await assert.rejects(useRateLimits({ redisUrl: url }), (error: Error) => error.name === "StartupError" && error.message.startsWith(`Rate limits: Cannot reach Redis at ${url}`));
        const release = await useRateLimits({ redisUrl: undefined });
        await release();
    });
});
