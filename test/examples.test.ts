// The examples server, answer by answer, as the README shows it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { captureErrors, serveExamples } from "./helpers/server.ts";
import { openEventStream } from "./helpers/events.ts";
import { openSocket } from "./helpers/web-socket.ts";

delete process.env["VSHS_SECRET"]; // as `npx vshs` serves the examples folder when none is set
const server = await serveExamples();

describe("the examples", () => {
    it("GET /hello-world answers 4-space JSON", async () => {
        const response = await server.fetch("/hello-world");
        assert.equal(response.status, 200);
        assert.equal(response.headers.get("content-type"), "application/json");
        assert.equal(await response.text(), '{\n    "message": "Hello World"\n}');
    });

    it("POST /params/C?url=B shows query, body and path variables", async () => {
        const response = await server.fetch("/params/C?url=B", {
            method: "POST",
            body: '{"body": "A"}',
            headers: { "content-type": "application/x-www-form-urlencoded" }, // what curl -d sends
        });
        assert.equal(
            await response.text(),
            '{\n    "urlParams": {\n        "url": "B"\n    },\n    "bodyParams": {\n        "body": "A"\n    },\n    "pathParams": {\n        "name": "C"\n    }\n}',
        );
    });

    it("GET /exception answers 500 with the message and logs the stack", async () => {
        const { result, logged } = await captureErrors(async () => {
            const response = await server.fetch("/exception");
            return { status: response.status, text: await response.text() };
        });
        assert.deepEqual(result, { status: 500, text: "Oups..." });
        assert.match(logged, /GET \/exception failed/);
        assert.match(logged, /Error: Oups\.\.\.\n\s+at /);
    });

    it("GET /http-error answers 403 Forbidden Access", async () => {
        const response = await server.fetch("/http-error");
        assert.equal(response.status, 403);
        assert.equal(response.headers.get("content-type"), "text/plain; charset=utf-8");
        assert.equal(await response.text(), "Forbidden Access");
    });

    it("POST /querytype names the kind of body received", async () => {
        const kinds: [RequestInit["body"], Record<string, string>, string][] = [
            [null, {}, "null"],
            ["hello", { "content-type": "text/plain" }, "String"],
            ['{"a":1}', { "content-type": "text/plain" }, "Object"],
            ["a=1", { "content-type": "application/x-www-form-urlencoded" }, "Object"],
            ['{"a":1}', { "content-type": "application/json" }, "Object"],
            [new Uint8Array([1, 2, 3]), {}, "Uint8Array"],
            [new Uint8Array([1, 2, 3]), { "content-type": "application/octet-stream" }, "Uint8Array"],
            [new Uint8Array([137, 80]), { "content-type": "image/png" }, "image/png"],
        ];
        for (const [body, headers, expected] of kinds) {
            const response = await server.fetch("/querytype", { method: "POST", body, headers });
            assert.equal(await response.text(), expected, `${JSON.stringify(headers)} ${String(body)}`);
        }
        const form = new FormData();
        form.append("a", "1");
        const response = await server.fetch("/querytype", { method: "POST", body: form });
        assert.equal(await response.text(), "FormData");
    });

    // Issue 23: querytype answered body.constructor.name, which the body itself may set.
    it("POST /querytype is not fooled by a body with a constructor key", async () => {
        const bodies: [string, string, string][] = [
            ['{"constructor":null}', "application/json", "Object"],
            ['{"constructor":{"name":"Uint8Array"}}', "application/json", "Object"],
            ['{"constructor":{"name":5}}', "text/plain", "Object"],
            ["constructor=x", "application/x-www-form-urlencoded", "Object"],
            ['[{"constructor":null}]', "application/json", "Array"],
            ["42", "application/json", "Number"],
            ["true", "text/plain", "Boolean"],
        ];
        for (const [body, type, expected] of bodies) {
            const response = await server.fetch("/querytype", { method: "POST", body, headers: { "content-type": type } });
            assert.deepEqual([response.status, await response.text()], [200, expected], `${type} ${body}`);
        }
    });

    it("POST /echo answers the body it received", async () => {
        const json = await server.fetch("/echo", { method: "POST", body: '{"x":[1,2]}', headers: { "content-type": "application/json" } });
        assert.equal(json.headers.get("content-type"), "application/json");
        assert.deepEqual(await json.json(), { x: [1, 2] });
        const bytes = await server.fetch("/echo", { method: "POST", body: new Uint8Array([0, 255, 7]) });
        assert.equal(bytes.headers.get("content-type"), "application/octet-stream");
        assert.deepEqual(new Uint8Array(await bytes.arrayBuffer()), new Uint8Array([0, 255, 7]));
    });

    it("DELETE /test answers a status", async () => {
        const response = await server.fetch("/test", { method: "DELETE" });
        assert.deepEqual(await response.json(), { status: "ok" });
    });

    it("GET /server-sent-events streams {count} from 0 as event_name", async () => {
        const stream = openEventStream(server.url + "/server-sent-events");
        const response = await stream.opened;
        assert.equal(response.headers["content-type"], "text/event-stream");
        const events = await stream.waitFor(2);
        stream.close();
        assert.deepEqual(events.slice(0, 2), [
            { event: "event_name", data: '{"count":0}' },
            { event: "event_name", data: '{"count":1}' },
        ]);
    });

    it("GET /ws/echo sends every message back as it came: text as text, binary as binary", async () => {
        const socket = await openSocket(server.url + "/ws/echo");
        socket.ws.send("hello");
        socket.ws.send(new Uint8Array([0, 255]));
        assert.deepEqual(await socket.waitFor(2), ["hello", new Uint8Array([0, 255])]);
        socket.ws.close(1000);
        assert.equal((await socket.closed).code, 1000);
        assert.equal((await server.fetch("/ws/echo")).status, 426, "a plain GET is told to upgrade");
    });

    it("GET /board/strokes sends the strokes so far, then each stroke drawn, and closes on a malformed one (1008)", async () => {
        const drawer = await openSocket(server.url + "/board/strokes");
        assert.equal(JSON.parse(String((await drawer.waitFor(1))[0])).event, "strokes");
        await new Promise((resolve) => setTimeout(resolve, 50)); // following the channel
        const stroke = { from: [0.1, 0.2], to: [0.3, 0.4], color: "#336699" };
        drawer.ws.send(JSON.stringify(stroke));
        const echoed = JSON.parse(String((await drawer.waitFor(2))[1]));
        assert.deepEqual({ event: echoed.event, data: echoed.data }, { event: "stroke", data: stroke });
        const late = await openSocket(server.url + "/board/strokes");
        const [soFar] = await late.waitFor(1);
        assert.deepEqual(JSON.parse(String(soFar)).data.at(-1), stroke, "a page that joins late gets the strokes so far");
        late.ws.send(JSON.stringify({ from: [2, 0], to: [0, 0], color: "red" }));
        assert.equal((await late.closed).code, 1008);
        drawer.ws.close();
    });

    it("GET / serves assets/index.html", async () => {
        const response = await server.fetch("/");
        assert.equal(response.headers.get("content-type"), "text/html; charset=utf-8");
        assert.equal(await response.text(), "<b>Hello world</b>");
    });

    it("GET /demo serves the demo page", async () => {
        const response = await server.fetch("/demo");
        assert.equal(response.status, 200);
        assert.equal(response.headers.get("content-type"), "text/html; charset=utf-8");
        assert.match(await response.text(), /new EventSource\(/);
    });

    it("without a secret, a chat login is a 500 that says how to give one, and reading the chat still works", async () => {
        const { result, logged } = await captureErrors(async () => {
            const response = await server.fetch("/chat/login", { method: "POST", body: new URLSearchParams({ name: "Ada" }) });
            return { status: response.status, text: await response.text(), cookies: response.headers.getSetCookie() };
        });
        assert.deepEqual(result, {
            status: 500,
            text: "A signed cookie needs a secret and none is configured: give the `secret` option, --secret-file FILE, or set $VSHS_SECRET",
            cookies: [],
        });
        assert.match(logged, /POST \/chat\/login failed/);
        assert.equal((await server.fetch("/chat/messages")).status, 200);
    });
});
