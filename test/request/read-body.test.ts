import assert from "node:assert/strict";
import http from "node:http";
import { describe, it } from "node:test";
import type { HandlerParams } from "vshs";
import { runtime } from "../helpers/runtime.ts";
import { serve } from "../helpers/server.ts";

/** What the handler received: its kind and its value, as JSON can show them. */
function describeBody({ body }: HandlerParams) {
    if (body === null) return { kind: "null" };
    if (body instanceof Uint8Array) return { kind: body.constructor.name, value: [...body] };
    if (body instanceof FormData) return { kind: "FormData", value: [...body].map(([name, value]) => [name, typeof value === "string" ? value : `file ${value.name} (${value.size} bytes)`]) };
    if (body instanceof Blob) return body.text().then((text) => ({ kind: "Blob", type: body.type, value: text }));
    return { kind: typeof body, value: body };
}

const server = await serve({ routes: { "/body/POST": describeBody }, maxBodySize: 1024 });
const limited = await serve({ routes: { "/body/POST": describeBody }, maxFields: 3, maxFiles: 2, maxJsonDepth: 5 });

async function postTo(target: { fetch: typeof server.fetch }, body: RequestInit["body"], headers: Record<string, string> = {}) {
    const response = await target.fetch("/body", { method: "POST", body, headers });
    return { status: response.status, answer: await response.text() };
}

async function post(body: RequestInit["body"], headers: Record<string, string> = {}) {
    const response = await server.fetch("/body", { method: "POST", body, headers });
    const answer: any = response.headers.get("content-type")?.startsWith("application/json") ? await response.json() : await response.text();
    return { status: response.status, answer };
}

describe("request bodies, parsed by Content-Type", () => {
    it("no body → null", async () => {
        assert.deepEqual((await post(null)).answer, { kind: "null" });
        assert.deepEqual((await post("", { "content-type": "application/json" })).answer, { kind: "null" });
    });

    it("text/plain → JSON.parse if it parses, else the string", async () => {
        assert.deepEqual((await post('{"a":1}', { "content-type": "text/plain" })).answer, { kind: "object", value: { a: 1 } });
        assert.deepEqual((await post("42", { "content-type": "text/plain" })).answer, { kind: "number", value: 42 });
        assert.deepEqual((await post("héllo", { "content-type": "text/plain;charset=UTF-8" })).answer, { kind: "string", value: "héllo" });
    });

    it("text/plain honours its charset", async () => {
        const latin1 = new Uint8Array([0x63, 0x61, 0x66, 0xe9]); // "café" in ISO-8859-1
        assert.deepEqual((await post(latin1, { "content-type": "text/plain; charset=iso-8859-1" })).answer, { kind: "string", value: "café" });
        assert.equal((await post("x", { "content-type": "text/plain; charset=klingon" })).status, 415);
    });

    it("application/x-www-form-urlencoded → JSON.parse if it parses, else the fields", async () => {
        assert.deepEqual((await post('{"a":[1]}', { "content-type": "application/x-www-form-urlencoded" })).answer, { kind: "object", value: { a: [1] } });
        assert.deepEqual((await post(new URLSearchParams("a=1&b=x%20y&a=2&c="))).answer, { kind: "object", value: { a: ["1", "2"], b: "x y", c: "" } });
    });

    it("a form field named __proto__ stays a field", async () => {
        const { answer } = await post(new URLSearchParams("__proto__=x&constructor=y"));
        assert.deepEqual(answer, { kind: "object", value: { ["__proto__"]: "x", constructor: "y" } });
    });

    it("application/json → the parsed value", async () => {
        assert.deepEqual((await post('[1,"two",null]', { "content-type": "application/json; charset=utf-8" })).answer, { kind: "object", value: [1, "two", null] });
    });

    it("UTF-8 JSON reads the same whole or streamed: a byte-order mark dropped, a bad byte as U+FFFD", async () => {
        const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('{"name":"caf'), 0xff, ...new TextEncoder().encode('"}')]);
        const streamed = new ReadableStream({ start: (controller) => (controller.enqueue(bytes), controller.close()) });
        const whole = await post(bytes, { "content-type": "application/json" });
        const chunked = await server.fetch("/body", { method: "POST", body: streamed, headers: { "content-type": "application/json" }, duplex: "half" } as RequestInit);
        assert.deepEqual(whole.answer, { kind: "object", value: { name: "caf\ufffd" } });
        assert.deepEqual(await chunked.json(), whole.answer);
    });

    it("malformed JSON → 400 with the parser's message", async () => {
        const { status, answer } = await post('{"a":', { "content-type": "application/json" });
        assert.equal(status, 400);
        assert.match(answer, /^Malformed JSON body: .*JSON/);
    });

    it("application/octet-stream or no Content-Type → Uint8Array (not a Buffer)", async () => {
        assert.deepEqual((await post(new Uint8Array([1, 2, 255]), { "content-type": "application/octet-stream" })).answer, { kind: "Uint8Array", value: [1, 2, 255] });
        assert.deepEqual((await post(new Uint8Array([0, 9]))).answer, { kind: "Uint8Array", value: [0, 9] });
    });

    it("multipart/form-data → FormData, files included", async () => {
        const form = new FormData();
        form.append("name", "Ada");
        form.append("file", new Blob(["12345"], { type: "text/plain" }), "notes.txt");
        assert.deepEqual((await post(form)).answer, { kind: "FormData", value: [["name", "Ada"], ["file", "file notes.txt (5 bytes)"]] });
    });

    it("a malformed multipart body → 400", async () => {
        const { status, answer } = await post("garbage", { "content-type": "multipart/form-data; boundary=xyz" });
        assert.equal(status, 400);
        assert.match(answer, /^Malformed multipart\/form-data body/);
    });

    it("a multipart Content-Type naming two boundaries → 400 (the part count and the parser would read different ones)", async () => {
        const body = "--Y\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--Y--\r\n";
        const { status, answer } = await post(body, { "content-type": "multipart/form-data; boundary=X; boundary=Y" });
        assert.equal(status, 400);
        assert.equal(answer, "The Content-Type names more than one multipart boundary");
    });

    it("a transfer coding other than chunked (Transfer-Encoding: gzip, chunked) → 501, the body not passed on as it came", async () => {
        const answer = await server.raw("POST /body HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nTransfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
        if (runtime === "bun") assert.equal(answer.status, 400); // Bun.serve refuses it itself
        else {
            assert.equal(answer.status, 501);
            assert.equal(answer.body, 'Transfer-Encoding "gzip, chunked" is not supported: send the body chunked, or with a Content-Length');
        }
        const chunked = await server.raw("POST /body HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nTransfer-Encoding: Chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
        assert.equal(chunked.status, 200, "chunked alone, in any letter case, is read");
    });

    it("any other type → a Blob of that type", async () => {
        assert.deepEqual((await post("<svg/>", { "content-type": "image/svg+xml" })).answer, { kind: "Blob", type: "image/svg+xml", value: "<svg/>" });
    });

    it("a body over maxBodySize with a Content-Length → 413 naming the option", async () => {
        const { status, answer } = await post("x".repeat(1025), { "content-type": "text/plain" });
        assert.equal(status, 413);
        assert.equal(answer, "Request body is larger than maxBodySize (1024 bytes)");
        assert.equal((await post("x".repeat(1024), { "content-type": "text/plain" })).status, 200);
    });

    it("a chunked body over maxBodySize → 413 before the client has finished sending", async () => {
        const { status, text, sentWhenAnswered } = await new Promise<{ status: number; text: string; sentWhenAnswered: number }>((resolve, reject) => {
            let sent = 0;
            const request = http.request(`${server.url}/body`, { method: "POST", headers: { "content-type": "text/plain" } }); // no length: chunked
            const timer = setInterval(() => {
                if (sent < 1024 * 1024) {
                    request.write("x".repeat(512));
                    sent += 512;
                }
            }, 1);
            request.on("response", (response) => {
                const answeredAt = sent;
                clearInterval(timer);
                let text = "";
                response.on("data", (chunk) => (text += chunk));
                response.on("end", () => {
                    request.destroy();
                    resolve({ status: response.statusCode ?? 0, text, sentWhenAnswered: answeredAt });
                });
            });
            request.on("error", (error) => {
                clearInterval(timer);
                reject(error);
            });
        });
        assert.equal(status, 413);
        assert.match(text, /maxBodySize/);
        assert.ok(sentWhenAnswered < 1024 * 1024, `answered after ${sentWhenAnswered} bytes`);
    });

    it("keeps serving the next requests after a 413", async () => {
        await post("x".repeat(5000), { "content-type": "text/plain" });
        assert.equal((await post("ok", { "content-type": "text/plain" })).status, 200);
    });
});

describe("hostile request bodies", () => {
    const json = { "content-type": "application/json" };

    it("a __proto__ key anywhere in a JSON body → 400 (prototype poisoning), escaped or not", async () => {
        for (const body of ['{"__proto__": {"admin": true}}', '[1, {"a": {"__proto__": {}}}]', '{"\\u005f_proto__": {"admin": true}}', '{"__pro\\u0074o__": 1}']) {
            const { status, answer } = await postTo(limited, body, json);
            assert.equal(status, 400, body);
            assert.match(answer, /__proto__ could change the prototype of objects/);
        }
        assert.equal(({} as Record<string, unknown>)["admin"], undefined);
    });

    it("a constructor.prototype → 400; a constructor key holding anything else is ordinary", async () => {
        for (const body of ['{"constructor": {"prototype": {"admin": true}}}', '{"constructor": {"protot\\u0079pe": {}}}', '{"c\\u006fnstructor": {"prototype": {}}}', '[{"a": {"constructor": {"prototype": 1}}}]']) {
            const refused = await postTo(limited, body, json);
            assert.equal(refused.status, 400, body);
            assert.match(refused.answer, /constructor\.prototype/);
        }
        const ordinary = await postTo(limited, '{"constructor": "Ada", "note": "__proto__ in a value is fine", "quote": "\\"a\\"\\n\\u00e9"}', json);
        assert.equal(ordinary.status, 200);
        assert.deepEqual(JSON.parse(ordinary.answer).value, { constructor: "Ada", note: "__proto__ in a value is fine", quote: '"a"\né' });
    });

    it("the same checks for text/plain and urlencoded bodies that parse as JSON", async () => {
        for (const type of ["text/plain", "application/x-www-form-urlencoded"]) {
            assert.equal((await postTo(limited, '{"__proto__": {"x": 1}}', { "content-type": type })).status, 400, type);
            assert.equal((await postTo(limited, "[[[[[[1]]]]]]", { "content-type": type })).status, 400, type);
        }
    });

    it("JSON nested deeper than maxJsonDepth → 400 naming the option; brackets inside strings do not count", async () => {
        const deep = await postTo(limited, "[[[[[[1]]]]]]", json);
        assert.equal(deep.status, 400);
        assert.equal(deep.answer, "JSON body nested deeper than 5 levels (option maxJsonDepth)");
        assert.equal((await postTo(limited, '[[[[{"a": "[[[[[[{{{{"}]]]]', json)).status, 200);
        assert.equal((await postTo(limited, "[[[[[1]]]]]", json)).status, 200, "exactly maxJsonDepth levels");
        assert.equal((await postTo(limited, '{"a":{"b":{"c":{"d":{"e":1}}}}}', json)).status, 200);
        assert.equal((await postTo(limited, '{"a":{"b":{"c":{"d":{"e":{}}}}}}', json)).status, 400);
        assert.equal((await postTo(limited, '[1, [2, [3, [4, [5, {"six": true}]]]]]', json)).status, 400);
        // The default (64) holds too.
        const huge = await server.fetch("/body", { method: "POST", body: "[".repeat(500) + "]".repeat(500), headers: json });
        assert.equal(huge.status, 400);
    });

    it("more urlencoded fields than maxFields → 413", async () => {
        const { status, answer } = await postTo(limited, "a=1&b=2&c=3&d=4", { "content-type": "application/x-www-form-urlencoded" });
        assert.equal(status, 413);
        assert.equal(answer, "The form has more than 3 fields (option maxFields)");
        assert.equal((await postTo(limited, "a=1&b=2&c=3", { "content-type": "application/x-www-form-urlencoded" })).status, 200);
    });

    it("multipart/form-data: more fields than maxFields, more files than maxFiles, more parts than both → 413", async () => {
        const form = (fields: number, files: number) => {
            const data = new FormData();
            for (let i = 0; i < fields; i++) data.append(`field${i}`, "x");
            for (let i = 0; i < files; i++) data.append(`file${i}`, new Blob(["x"]), `f${i}.txt`);
            return data;
        };
        assert.equal((await postTo(limited, form(3, 2))).status, 200);
        const fields = await postTo(limited, form(4, 0));
        assert.equal(fields.status, 413);
        assert.equal(fields.answer, "The form has more than 3 fields (option maxFields)");
        const files = await postTo(limited, form(0, 3));
        assert.equal(files.status, 413);
        assert.equal(files.answer, "The form has more than 2 files (option maxFiles)");
        const parts = await postTo(limited, form(4, 3));
        assert.equal(parts.status, 413);
        assert.equal(parts.answer, "The form has more than 5 parts (options maxFields and maxFiles)");
    });
});
