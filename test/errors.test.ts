import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HTTPError, type HandlerParams } from "vshs";
import { captureErrors, serve } from "./helpers/server.ts";

const withErrorRoute = await serve({
    routes: {
        "/forbidden/GET": () => {
            throw new HTTPError(403, "Forbidden Access");
        },
        "/boom/GET": () => {
            throw new Error("Oups...");
        },
        "/throws-string/GET": () => {
            throw "a plain string";
        },
        "/rate-limited/GET": () => {
            throw new HTTPError(429, "Slow down", { "Retry-After": "60" });
        },
        "/errors/{code}/GET": ({ body, route }: HandlerParams) => ({ error: body, code: route.vars["code"] }),
    },
});

const withFailingErrorRoute = await serve({
    routes: {
        "/forbidden/GET": () => {
            throw new HTTPError(403, "Forbidden Access");
        },
        "/errors/{code}/GET": () => {
            throw new Error("the error route itself failed");
        },
    },
});

const plain = await serve({
    routes: {
        "/boom/GET": () => {
            throw new Error("Oups...");
        },
        "/sync-throw/GET": () => {
            throw new TypeError("thrown synchronously");
        },
        "/reject/GET": () => Promise.reject(new RangeError("rejected")),
        "/default-message/GET": () => {
            throw new HTTPError(404);
        },
        "/bad-status/GET": () => {
            throw new HTTPError(200, "not an error status");
        },
    },
});

const productionRoutes = {
    "/boom/GET": () => {
        throw new Error("secret detail: the database password is hunter2");
    },
    "/teapot/GET": () => {
        throw new HTTPError(500, "an HTTPError's message is always sent");
    },
    "/errors/{code}/GET": ({ body }: HandlerParams) => ({ shown: body }),
};
const savedEnv = process.env.NODE_ENV;
process.env.NODE_ENV = "production";
const production = await serve({ routes: { "/boom/GET": productionRoutes["/boom/GET"], "/teapot/GET": productionRoutes["/teapot/GET"] } });
process.env.NODE_ENV = savedEnv;
const hidden = await serve({ routes: productionRoutes, exposeErrors: false });

const oddValues = await serve({
    routes: {
        "/map/GET": () => new Map([["a", 1]]),
        "/set/GET": async () => new Set([1]),
        "/function/GET": () => () => "forgot to call me",
        "/symbol/GET": async () => Symbol("s"),
        "/bigint/GET": () => ({ big: 10n }),
        "/hello/GET": () => "hello",
    },
});

describe("errors", () => {
    it("HTTPError sets the status and sends its message as text", async () => {
        const response = await plain.fetch("/default-message");
        assert.equal(response.status, 404);
        assert.equal(response.headers.get("content-type"), "text/plain; charset=utf-8");
        assert.equal(await response.text(), "Not Found");
    });

    it("an HTTPError status outside 400–599 becomes 500", async () => {
        const { result } = await captureErrors(async () => {
            const response = await plain.fetch("/bad-status");
            return [response.status, await response.text()];
        });
        assert.deepEqual(result, [500, "not an error status"]);
    });

    it("HTTPError can add headers to the answer", async () => {
        const response = await withErrorRoute.fetch("/rate-limited");
        assert.equal(response.status, 429);
        assert.equal(response.headers.get("retry-after"), "60");
    });

    it("any other exception, thrown or rejected, answers 500 with its message and logs the stack", async () => {
        const { result, logged } = await captureErrors(async () => {
            const answers = [];
            for (const pathname of ["/boom", "/sync-throw", "/reject"]) {
                const response = await plain.fetch(pathname);
                answers.push([response.status, await response.text()]);
            }
            return answers;
        });
        assert.deepEqual(result, [
            [500, "Oups..."],
            [500, "thrown synchronously"],
            [500, "rejected"],
        ]);
        assert.match(logged, /GET \/boom failed: Error: Oups\.\.\.\n\s+at /);
        assert.match(logged, /TypeError: thrown synchronously/);
        assert.match(logged, /RangeError: rejected/);
    });

    it("sends errors through /errors/{code} when it exists, keeping the status", async () => {
        const forbidden = await withErrorRoute.fetch("/forbidden");
        assert.equal(forbidden.status, 403);
        assert.deepEqual(await forbidden.json(), { error: "Forbidden Access", code: "403" });
        const missing = await withErrorRoute.fetch("/nowhere");
        assert.equal(missing.status, 404);
        assert.deepEqual(await missing.json(), { error: "Not Found: /nowhere", code: "404" });
        const { result } = await captureErrors(async () => {
            const boom = await withErrorRoute.fetch("/boom");
            return [boom.status, await boom.json()];
        });
        assert.deepEqual(result, [500, { error: "Oups...", code: "500" }]);
        const thrownString = await captureErrors(async () => (await withErrorRoute.fetch("/throws-string")).json());
        assert.deepEqual(thrownString.result, { error: "a plain string", code: "500" });
    });

    it("keeps the error's headers when the error route answers", async () => {
        const response = await withErrorRoute.fetch("/rate-limited");
        assert.equal(response.headers.get("retry-after"), "60");
        assert.deepEqual(await response.json(), { error: "Slow down", code: "429" });
    });

    it("falls back to the plain message when the error route fails", async () => {
        const { result, logged } = await captureErrors(async () => {
            const response = await withFailingErrorRoute.fetch("/forbidden");
            return [response.status, await response.text()];
        });
        assert.deepEqual(result, [403, "Forbidden Access"]);
        assert.match(logged, /error route \/errors\/\{code\}\/GET failed[\s\S]*the error route itself failed/);
    });

    it("keeps serving after every kind of failure", async () => {
        await captureErrors(async () => {
            for (const pathname of ["/boom", "/sync-throw", "/reject"]) await (await plain.fetch(pathname)).text();
        });
        assert.equal((await plain.fetch("/default-message")).status, 404);
    });
});

describe("errors in production", () => {
    it("with NODE_ENV=production a 500 says Internal Server Error; the details are logged", async () => {
        const { result, logged } = await captureErrors(async () => {
            const response = await production.fetch("/boom");
            return [response.status, await response.text()];
        });
        assert.deepEqual(result, [500, "Internal Server Error"]);
        assert.match(logged, /GET \/boom failed[\s\S]*hunter2/);
    });

    it("an HTTPError's message is sent all the same", async () => {
        const response = await production.fetch("/teapot");
        assert.equal(await response.text(), "an HTTPError's message is always sent");
    });

    it("exposeErrors: false hides the message from the error route too", async () => {
        const { result } = await captureErrors(async () => (await hidden.fetch("/boom")).json());
        assert.deepEqual(result, { shown: "Internal Server Error" });
    });
});

describe("values a handler cannot return", () => {
    it("answer 500 naming what was returned, sync or async; the server goes on", async () => {
        const expected: Record<string, RegExp> = {
            "/map": /returned a Map, which JSON would send as \{\}: return Object\.fromEntries\(map\) instead/,
            "/set": /returned a Set, which JSON would send as \{\}: return \[\.\.\.set\] instead/,
            "/function": /returned a function, which cannot be sent as a response/,
            "/symbol": /returned a symbol, which cannot be sent as a response/,
            "/bigint": /JSON cannot express: it contains a BigInt/,
        };
        const { result, logged } = await captureErrors(async () => {
            const answers: Record<string, [number, string]> = {};
            for (const pathname of Object.keys(expected)) {
                const response = await oddValues.fetch(pathname);
                answers[pathname] = [response.status, await response.text()];
            }
            return answers;
        });
        for (const [pathname, pattern] of Object.entries(expected)) {
            assert.equal(result[pathname]![0], 500, pathname);
            assert.match(result[pathname]![1], pattern, pathname);
        }
        assert.match(logged, /GET \/map failed/);
        assert.equal(await (await oddValues.fetch("/hello")).text(), "hello");
    });
});
