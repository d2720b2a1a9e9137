import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { captureErrors, serve } from "../helpers/server.ts";

const form = new FormData();
form.append("a", "1");
form.append("b", "x y");
const formWithFile = new FormData();
formWithFile.append("a", "1");
formWithFile.append("file", new Blob(["content"], { type: "text/plain" }), "f.txt");

const server = await serve({
    routes: {
        "/string/GET": () => "héllo",
        "/json/GET": () => ({ a: [1, { b: null }] }),
        "/number/GET": () => 42,
        "/false/GET": () => false,
        "/null/GET": () => null,
        "/undefined/GET": () => {},
        "/bytes/GET": () => new Uint8Array([1, 2, 3]),
        "/arraybuffer/GET": () => new Uint8Array([4, 5]).buffer,
        "/blob/GET": () => new Blob(["<p>hi</p>"], { type: "text/html" }),
        "/untyped-blob/GET": () => new Blob(["raw"]),
        "/searchparams/GET": () => new URLSearchParams({ a: "1", b: "x y" }),
        "/formdata/GET": () => form,
        "/formdata-file/GET": () => formWithFile,
        "/response/GET": () => {
            const headers = new Headers({ "content-type": "text/csv", "x-custom": "1" });
            headers.append("set-cookie", "a=1; Path=/");
            headers.append("set-cookie", "b=2; HttpOnly");
            return new Response("x,y\n1,2\n", { status: 201, headers });
        },
        "/redirect/GET": () => Response.redirect("http://localhost/elsewhere", 302),
        "/streamed/GET": () =>
            new Response(
                new ReadableStream({
                    start(controller) {
                        controller.enqueue(new TextEncoder().encode("part 1, "));
                        controller.enqueue(new TextEncoder().encode("part 2"));
                        controller.close();
                    },
                }),
            ),
        "/function/GET": () => () => 1,
        "/bigint/GET": () => ({ n: 1n }),
        "/circular/GET": () => {
            const loop: Record<string, unknown> = { name: "loop" };
            loop["self"] = loop;
            return loop;
        },
    },
});

async function get(pathname: string) {
    const response = await server.fetch(pathname);
    return { status: response.status, type: response.headers.get("content-type"), length: response.headers.get("content-length"), response, bytes: new Uint8Array(await response.arrayBuffer()) };
}
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe("the response follows the handler's return value", () => {
    it("string → text/plain; charset=utf-8", async () => {
        const { type, length, bytes } = await get("/string");
        assert.equal(type, "text/plain; charset=utf-8");
        assert.equal(length, "6");
        assert.equal(text(bytes), "héllo");
    });

    it("any other value → application/json indented with 4 spaces", async () => {
        const { type, bytes } = await get("/json");
        assert.equal(type, "application/json");
        assert.equal(text(bytes), '{\n    "a": [\n        1,\n        {\n            "b": null\n        }\n    ]\n}');
        assert.equal(text((await get("/number")).bytes), "42");
        assert.equal(text((await get("/false")).bytes), "false");
    });

    it("null and undefined → 200, empty body, no Content-Type", async () => {
        for (const pathname of ["/null", "/undefined"]) {
            const { status, type, length, bytes } = await get(pathname);
            assert.deepEqual({ status, type, length, size: bytes.length }, { status: 200, type: null, length: "0", size: 0 });
        }
    });

    it("Uint8Array and ArrayBuffer → application/octet-stream", async () => {
        const bytes = await get("/bytes");
        assert.equal(bytes.type, "application/octet-stream");
        assert.deepEqual([...bytes.bytes], [1, 2, 3]);
        const buffer = await get("/arraybuffer");
        assert.equal(buffer.type, "application/octet-stream");
        assert.deepEqual([...buffer.bytes], [4, 5]);
    });

    it("Blob → its type, or application/octet-stream", async () => {
        const typed = await get("/blob");
        assert.equal(typed.type, new Blob([], { type: "text/html" }).type); // Bun's Blob adds ";charset=utf-8" to text types
        assert.equal(typed.length, "9");
        assert.equal(text(typed.bytes), "<p>hi</p>");
        assert.equal((await get("/untyped-blob")).type, "application/octet-stream");
    });

    it("URLSearchParams and FormData → application/x-www-form-urlencoded", async () => {
        for (const pathname of ["/searchparams", "/formdata"]) {
            const { type, bytes } = await get(pathname);
            assert.equal(type, "application/x-www-form-urlencoded");
            assert.equal(text(bytes), "a=1&b=x+y");
        }
    });

    it("FormData holding a file → multipart/form-data, so the file is not lost", async () => {
        const { type, bytes } = await get("/formdata-file");
        assert.match(type ?? "", /^multipart\/form-data; boundary=/);
        const parsed = await new Response(bytes, { headers: { "content-type": type! } }).formData();
        assert.equal(parsed.get("a"), "1");
        assert.equal(await (parsed.get("file") as File).text(), "content");
    });

    it("a web Response is sent as it is: status, headers, every cookie", async () => {
        const { status, type, response, bytes } = await get("/response");
        assert.equal(status, 201);
        assert.equal(type, "text/csv");
        assert.equal(response.headers.get("x-custom"), "1");
        assert.deepEqual(response.headers.getSetCookie(), ["a=1; Path=/", "b=2; HttpOnly"]);
        assert.equal(response.headers.get("access-control-allow-origin"), "*");
        assert.equal(text(bytes), "x,y\n1,2\n");
    });

    it("a redirect Response keeps its status and Location", async () => {
        const response = await server.fetch("/redirect", { redirect: "manual" });
        assert.equal(response.status, 302);
        assert.equal(response.headers.get("location"), "http://localhost/elsewhere");
    });

    it("a Response with a streamed body is streamed", async () => {
        assert.equal(text((await get("/streamed")).bytes), "part 1, part 2");
    });

    it("a value JSON cannot express → 500 naming its type", async () => {
        const { result, logged } = await captureErrors(async () => {
            const fn = await get("/function");
            const big = await get("/bigint");
            const circular = await get("/circular");
            return [fn.status, text(fn.bytes), big.status, text(big.bytes), circular.status, text(circular.bytes)];
        });
        assert.deepEqual(result, [
            500,
            "The handler returned a function, which cannot be sent as a response",
            500,
            "The handler returned a value JSON cannot express: it contains a BigInt",
            500,
            "The handler returned a value JSON cannot express: it contains itself (a circular reference)",
        ]);
        assert.match(logged, /GET \/function failed/);
    });
});
