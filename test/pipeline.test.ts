import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Answer, Incoming } from "../src/contract.ts";
import { corsPolicy } from "../src/cors.ts";
import { resolveSettings } from "../src/options.ts";
import { Pipeline } from "../src/pipeline.ts";
import { longLivedAnswers } from "../src/response/long-lived.ts";
import { OpenSockets } from "../src/response/open-sockets.ts";
import { OpenStreams } from "../src/response/open-streams.ts";
import { routeObjectEntries } from "../src/router/route-entries.ts";
import { Router } from "../src/router/router.ts";
import type { RequestInfo, RoutesObject } from "../src/types.ts";

// The pipeline's promise to the adapters, tested without one: every request gets exactly one answer,
// even when the adapter's own delivery fails (the real adapters are tested over the network elsewhere).

function pipelineFor(handlers: RoutesObject, logged: unknown[][]): Pipeline {
    const settings = resolveSettings({ routes: handlers });
    const logError = (...line: unknown[]) => void logged.push(line);
    const streams = new OpenStreams({ ...settings.streams, log: logError });
    const sockets = new OpenSockets({ ...settings.streams, log: logError });
    const cors = corsPolicy(settings.cors);
    return new Pipeline({
        router: new Router(routeObjectEntries(handlers)),
        staticFiles: null,
        compression: null,
        limits: settings.limits,
        exposeErrors: false,
        cors,
        secrets: [],
        fallbackHost: "localhost:1",
        longLived: longLivedAnswers(streams, sockets, cors),
        logError,
    });
}

function request(method: string, target: string): Incoming {
    return {
        method,
        target,
        host: "localhost",
        secure: false,
        header: () => undefined,
        hasBody: false,
        get info(): RequestInfo {
            throw new Error("not used by these routes");
        },
        readChunks: () => Promise.resolve(),
        discardBody: () => {},
    };
}

/** Delivers to `delivered`, and throws on the first delivery, as an adapter's broken write would. */
function failingOnce(delivered: Answer[]) {
    return (answer: Answer) => {
        delivered.push(answer);
        if (delivered.length === 1) throw new Error("the adapter could not write this answer");
    };
}

const settled = () => new Promise((resolve) => setTimeout(resolve, 20));

describe("Pipeline.answer", () => {
    for (const [kind, handler] of [
        ["a synchronous handler", () => "hi"],
        ["an async handler", async () => "hi"],
    ] as const) {
        it(`delivers once, and logs, when the adapter's delivery throws (${kind})`, async () => {
            const logged: unknown[][] = [];
            const delivered: Answer[] = [];
            const pipeline = pipelineFor({ "/hi/GET": handler }, logged);
            pipeline.answer(request("GET", "/hi"), failingOnce(delivered));
            await settled();
            assert.equal(delivered.length, 1, "delivered again after the adapter threw");
            assert.equal(delivered[0]!.status, 200);
            assert.equal(logged.length, 1);
            assert.match(String(logged[0]![0]), /deliver/i);
        });
    }

    it("delivers once when the adapter's delivery of an unrouted answer throws (OPTIONS *)", async () => {
        const logged: unknown[][] = [];
        const delivered: Answer[] = [];
        const pipeline = pipelineFor({ "/hi/GET": () => "hi" }, logged);
        pipeline.answer(request("OPTIONS", "*"), failingOnce(delivered));
        await settled();
        assert.equal(delivered.length, 1);
        assert.equal(logged.length, 1);
    });
});
