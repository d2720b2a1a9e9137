/**
 * Bodies nobody reads: fast-check sends requests with bodies to paths and methods no route answers
 * (404, 405), with a Content-Length under or over maxBodySize, chunked, or only declared and awaiting
 * `Expect: 100-continue`. Property: every request gets its 404, 405 or 413 promptly, never a 100 Continue
 * for a body that will not be read, never a 500; and a client that floods such a path gets the connection
 * closed after at most maxBodySize bytes (plus what the sockets' buffers hold).
 */
import assert from "node:assert/strict";
import { connect } from "node:net";
import { describe, it } from "node:test";
import fc from "fast-check";
import { serve } from "../helpers/server.ts";
import { flood } from "./raw-http.ts";
import { report, scaled } from "./scale.ts";

const limit = 16 * 1024;
const server = await serve({ routes: { "/page/GET": () => "page" }, maxBodySize: limit, logger: () => {} });

type Framing = { kind: "length" | "chunked"; size: number } | { kind: "declared only"; size: number };

/** Sends the request; resolves with everything received once the server closes or has been quiet for 1 s after answering. */
function send(head: string, body: Buffer | null, chunked: boolean): Promise<{ text: string; sent: number }> {
    return new Promise((resolve, reject) => {
        const socket = connect(server.port, "127.0.0.1");
        let text = "";
        let sent = 0;
        const deadline = setTimeout(() => (socket.destroy(), reject(new Error(`no answer within 5 s: ${JSON.stringify(text.slice(0, 200))}`))), 5000);
        let quiet: ReturnType<typeof setTimeout> | undefined;
        const finish = () => {
            clearTimeout(deadline);
            clearTimeout(quiet);
            socket.destroy();
            resolve({ text, sent });
        };
        socket.setEncoding("latin1");
        socket.on("data", (data: string) => {
            text += data;
            if (/^HTTP\/1\.1 [2-5]\d\d/m.test(text)) {
                clearTimeout(quiet);
                quiet = setTimeout(finish, 1000);
            }
        });
        socket.on("close", finish);
        socket.on("error", () => {});
        socket.on("connect", () => {
            socket.write(head);
            if (body === null) return;
            for (let offset = 0; offset < body.length && !socket.destroyed; offset += 4096) {
                const piece = body.subarray(offset, offset + 4096);
                socket.write(chunked ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from("\r\n")]) : piece);
                sent += piece.length;
            }
            if (chunked && !socket.destroyed) socket.write("0\r\n\r\n");
        });
    });
}

const framingArbitrary: fc.Arbitrary<Framing> = fc.oneof(
    fc.record({ kind: fc.constantFrom<"length" | "chunked">("length", "chunked"), size: fc.integer({ min: 1, max: 3 * limit }) }),
    fc.record({ kind: fc.constant<"declared only">("declared only"), size: fc.integer({ min: 1, max: 100 * limit }) }),
);

describe("bodies sent where no route reads them", () => {
    it("get 404, 405 or 413 promptly, without a 100 Continue", async () => {
        const runs = scaled(300, 60);
        const statuses = new Map<number, number>();
        await fc.assert(
            fc.asyncProperty(fc.constantFrom("POST", "PUT", "PATCH", "DELETE"), fc.constantFrom("/nowhere", "/page", "/a/b?c"), framingArbitrary, fc.boolean(), async (method, target, framing, expect) => {
                const chunked = framing.kind === "chunked";
                const headers = [`${method} ${target} HTTP/1.1`, "Host: localhost", chunked ? "Transfer-Encoding: chunked" : `Content-Length: ${framing.size}`];
                if (expect || framing.kind === "declared only") headers.push("Expect: 100-continue");
                const body = framing.kind === "declared only" || expect ? null : Buffer.alloc(framing.size, "b");
                const { text } = await send(headers.join("\r\n") + "\r\n\r\n", body, chunked);
                assert.doesNotMatch(text, /100 Continue/, "a body nobody reads is never asked for");
                const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
                const expected = !chunked && framing.size > limit ? 413 : target === "/page" ? 405 : 404;
                assert.equal(status, expected, text.slice(0, 200));
                assert.match(text, /connection: close/i, "the connection is not kept for the next request");
                statuses.set(status, (statuses.get(status) ?? 0) + 1);
            }),
            { numRuns: runs },
        );
        report("unrouted bodies", { requests: runs, ...Object.fromEntries([...statuses].map(([status, count]) => [String(status), count])) });
    });

    it("a flood is cut off after about maxBodySize bytes", async () => {
        const floods = scaled(20, 5);
        let most = 0;
        for (let i = 0; i < floods; i++) {
            const { written, closed } = await flood(server.port, `POST /nowhere/${i} HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n`, 256 * 1024 * 1024);
            assert.ok(closed, "the server closed the connection");
            // The limit plus what the sockets' buffers hold; a server that reads on takes all 256 MiB.
            assert.ok(written < 32 * 1024 * 1024, `${written} bytes taken`);
            most = Math.max(most, written);
        }
        report("unrouted floods", { floods, "most bytes taken before the close": most });
    });
});
