import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AccessLogEntry } from "vshs";
import { captureErrors, serve } from "./helpers/server.ts";

const entries: AccessLogEntry[] = [];
const recorded = await serve({ routes: { "/hello/GET": () => "hello" }, logger: (entry) => void entries.push(entry) });
const throwing = await serve({
    routes: { "/hello/GET": () => "hello" },
    logger: () => {
        throw new Error("the log's disk is full");
    },
});

describe("the access log", () => {
    it("gives a logger function the time, method, path (without the query), status and duration of each answer", async () => {
        await (await recorded.fetch("/hello?x=1")).text();
        await (await recorded.fetch("/missing")).text();
        await new Promise((resolve) => setTimeout(resolve, 20));
        assert.deepEqual(
            entries.map(({ method, path, status }) => ({ method, path, status })),
            [
                { method: "GET", path: "/hello", status: 200 },
                { method: "GET", path: "/missing", status: 404 },
            ],
        );
        for (const entry of entries) {
            assert.ok(entry.time instanceof Date);
            assert.ok(entry.durationMs >= 0);
        }
    });

    it("a logger that throws changes no answer and stops nothing: its error is logged", async () => {
        const { result, logged } = await captureErrors(async () => {
            const answers: string[] = [];
            for (let i = 0; i < 3; i++) {
                const response = await throwing.fetch("/hello");
                answers.push(`${response.status} ${await response.text()}`);
            }
            return answers;
        });
        assert.deepEqual(result, ["200 hello", "200 hello", "200 hello"]);
        assert.match(logged, /The access logger threw: Error: the log's disk is full/);
    });
});
