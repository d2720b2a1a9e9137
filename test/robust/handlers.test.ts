/**
 * Handlers that fail in every way a handler can, under concurrent load: each answers as documented
 * (500 with the message, 503 past handlerTimeout, 500 naming an unsendable value) and the routes that
 * work keep answering, quickly, throughout.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { captureErrors, serve } from "../helpers/server.ts";
import { report, scaled } from "./scale.ts";

const handlerTimeout = 300;
const server = await serve({
    routes: {
        "/hello/GET": () => "hello",
        "/throws/GET": () => {
            throw new Error("thrown synchronously");
        },
        "/rejects/GET": async () => {
            await new Promise((resolve) => setTimeout(resolve, 5));
            throw new Error("rejected later");
        },
        "/never/GET": () => new Promise(() => {}),
        "/unsendable/GET": async () => new Map([["a", 1]]),
        "/echo/POST": ({ body }) => body,
    },
    handlerTimeout,
});

const expected: Record<string, [number, RegExp]> = {
    "/hello": [200, /^hello$/],
    "/throws": [500, /^thrown synchronously$/],
    "/rejects": [500, /^rejected later$/],
    "/never": [503, /did not answer within 300 ms \(option handlerTimeout\)/],
    "/unsendable": [500, /returned a Map/],
};

describe("failing handlers under load", () => {
    it("every kind of failure answers as documented while the other routes keep serving", async () => {
        const rounds = scaled(400, 60);
        const helloTimes: number[] = [];
        const { logged } = await captureErrors(async () => {
            const requests: Promise<void>[] = [];
            for (let i = 0; i < rounds; i++) {
                for (const [pathname, [status, body]] of Object.entries(expected)) {
                    const started = performance.now();
                    requests.push(
                        server.fetch(pathname).then(async (response) => {
                            const text = await response.text();
                            assert.equal(response.status, status, pathname);
                            assert.match(text, body, pathname);
                            if (pathname === "/hello") helloTimes.push(performance.now() - started);
                        }),
                    );
                }
                if (i % 20 === 19) await Promise.all(requests.splice(0)); // at most 100 requests at once
            }
            await Promise.all(requests);
        });
        // Each failure is logged with its stack; the timeouts and the Map too.
        assert.equal(logged.match(/GET \/throws failed/g)?.length, rounds);
        assert.equal(logged.match(/GET \/never failed/g), null, "a 503 is an answer, not a crash to log");
        helloTimes.sort((a, b) => a - b);
        const p99 = helloTimes[Math.floor(helloTimes.length * 0.99)]!;
        report("failing handlers", { requests: rounds * Object.keys(expected).length, "hello p99 ms": p99, "hello max ms": helloTimes.at(-1)! });
        assert.ok(p99 < handlerTimeout + 1000, `hello p99 ${p99} ms`);
    });

    it("nothing is left waiting: the server closes promptly and the handlers that never answered are abandoned", async () => {
        const started = performance.now();
        const response = await server.fetch("/never");
        assert.equal(response.status, 503);
        assert.ok(performance.now() - started < handlerTimeout + 1500);
        assert.equal(await (await server.fetch("/echo", { method: "POST", body: '{"still": "ok"}', headers: { "content-type": "application/json" } })).text(), '{\n    "still": "ok"\n}');
    });
});
