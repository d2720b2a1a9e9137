/**
 * Response framing on kept-alive connections. fast-check builds the Response a handler returns (body in
 * random chunks, a declared Content-Length right, short, long, absent or invalid, hop-by-hop headers,
 * a Connection header naming others, a status with or without a body); the client asks for it, then for a
 * second route on the same connection, as a proxy reusing its upstream connection does.
 * Property: the bytes on the connection are whole answers and nothing else (no byte of one body is read
 * as the next answer, no answer is swallowed by a body), the follow-up answer is intact whenever the
 * connection stayed open, a hop-by-hop header never reaches the client, and no request hangs.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { serve } from "../helpers/server.ts";
import { onOneConnection } from "./raw-http.ts";
import { report, scaled } from "./scale.ts";

interface Shape {
    status: number;
    chunks: number[];
    declared: "right" | "short" | "long" | "absent" | "invalid";
    hopHeaders: [string, string][];
    namedInConnection: string | null;
}

const hopNames = ["Keep-Alive", "Transfer-Encoding", "Upgrade", "TE", "Trailer", "Proxy-Connection"];
const hopValue: Record<string, string> = { "Keep-Alive": "timeout=99", "Transfer-Encoding": "chunked", Upgrade: "h2c", TE: "trailers", Trailer: "x-sum", "Proxy-Connection": "keep-alive" };

const shapes = new Map<string, Shape>();

function responseFor(shape: Shape): Response {
    const total = shape.chunks.reduce((sum, size) => sum + size, 0);
    const headers = new Headers();
    for (const [name, value] of shape.hopHeaders) headers.set(name, value);
    if (shape.namedInConnection !== null) {
        headers.set("Connection", `close, ${shape.namedInConnection}`);
        headers.set(shape.namedInConnection, "private");
    }
    const declared = { right: String(total), short: String(Math.max(0, total - 3)), long: String(total + 5), absent: null, invalid: "12abc" }[shape.declared];
    if (declared !== null) headers.set("Content-Length", declared);
    const nullBody = shape.status === 204 || shape.status === 304;
    const body = new ReadableStream<Uint8Array>({
        start(controller) {
            let letter = 0;
            for (const size of shape.chunks) controller.enqueue(new Uint8Array(size).fill(97 + (letter++ % 26)));
            controller.close();
        },
    });
    return new Response(nullBody ? null : body, { status: shape.status, headers });
}

const server = await serve({
    routes: {
        "/shape/{id}/GET": ({ route }) => responseFor(shapes.get(route.vars["id"]!)!),
        "/next/GET": () => ({ next: "answer" }),
    },
    logger: () => {},
});

const shapeArbitrary: fc.Arbitrary<Shape> = fc.record({
    status: fc.constantFrom(200, 201, 204, 304, 404, 500),
    chunks: fc.array(fc.integer({ min: 0, max: 3000 }), { maxLength: 5 }),
    declared: fc.constantFrom("right", "short", "long", "absent", "invalid"),
    hopHeaders: fc.subarray(hopNames).map((names) => names.map((name): [string, string] => [name, hopValue[name]!])),
    namedInConnection: fc.option(fc.constantFrom("X-Private", "X-Hop-Secret"), { nil: null }),
});

describe("response framing on a kept-alive connection", () => {
    it("whatever the returned Response declares, the connection carries whole answers only", async () => {
        const runs = scaled(300, 60);
        let open = 0;
        const originalError = console.error;
        console.error = () => {}; // mismatched lengths are logged as the handler's mistakes
        try {
            await fc.assert(
                fc.asyncProperty(shapeArbitrary, async (shape) => {
                    const id = String(shapes.size);
                    shapes.set(id, shape);
                    const { replies, rest } = await onOneConnection(server.port, [`GET /shape/${id} HTTP/1.1\r\nHost: localhost\r\n\r\n`, "GET /next HTTP/1.1\r\nHost: localhost\r\n\r\n"], 200);
                    assert.equal(rest, "", "bytes after the answers that belong to none");
                    assert.ok(replies.length >= 1 || shape.declared !== "right", "a well-framed Response is answered");
                    assert.ok(replies.length <= 2);
                    for (const reply of replies) assert.match(reply.statusLine, /^HTTP\/1\.1 \d{3}/);
                    const first = replies[0];
                    if (first !== undefined) {
                        for (const [name] of shape.hopHeaders) {
                            if (name === "Transfer-Encoding" || name === "Keep-Alive") continue; // the server's own framing and keep-alive may use these names
                            assert.equal(first.headers[name.toLowerCase()], undefined, name);
                        }
                        if (shape.namedInConnection !== null) assert.equal(first.headers[shape.namedInConnection.toLowerCase()], undefined);
                        assert.ok(!(first.headers["keep-alive"] ?? "").includes("99"), "the handler's Keep-Alive");
                    }
                    if (replies[1] !== undefined) {
                        open++;
                        assert.deepEqual(JSON.parse(replies[1].body.toString()), { next: "answer" });
                    }
                }),
                { numRuns: runs },
            );
        } finally {
            console.error = originalError;
        }
        report("framing", { shapes: runs, "connections kept open": open });
    });
});
