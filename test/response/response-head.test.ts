import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HTTPError, SSEResponse, type HandlerParams } from "vshs";
import { serve } from "../helpers/server.ts";

interface NewTodo {
    title: string;
}

const server = await serve({
    routes: {
        "/todos/POST": ({ body, response }: HandlerParams<NewTodo>) => {
            response.status = 201;
            response.headers.set("location", "/todos/7");
            return { id: 7, title: body.title };
        },
        "/accepted/POST": async ({ response }: HandlerParams) => {
            response.status = 202;
            return "queued";
        },
        "/nothing/DELETE": ({ response }: HandlerParams) => {
            response.status = 204;
            return { ignored: true };
        },
        "/html/GET": ({ response }: HandlerParams) => {
            response.headers.set("content-type", "text/html; charset=utf-8");
            response.headers.set("content-length", "1");
            response.headers.set("cache-control", "no-store");
            return "<b>bold</b>";
        },
        "/teapot/GET": ({ response }: HandlerParams) => {
            response.status = 418;
            return new Response("my own", { status: 200, headers: { "x-own": "yes" } });
        },
        "/fails/GET": ({ response }: HandlerParams) => {
            response.status = 201;
            response.headers.set("x-request-id", "abc");
            throw new HTTPError(403, "no");
        },
        "/bad-status/GET": ({ response }: HandlerParams) => {
            response.status = 101;
            return "never";
        },
        "/cookies/GET": ({ response, cookies }: HandlerParams) => {
            response.headers.append("set-cookie", "a=1; Path=/");
            cookies.set("b", "2");
            return "two cookies";
        },
        "/guarded/_middleware": ({ response }: HandlerParams) => {
            response.headers.set("x-frame-options", "DENY");
            return undefined;
        },
        "/guarded/page/GET": () => ({ page: 1 }),
        "/events/GET": ({ response }: HandlerParams) => {
            response.status = 201;
            response.headers.set("x-stream", "yes");
            return new SSEResponse((stream) => {
                stream.send("one");
                stream.close();
            });
        },
    },
});

describe("response: the status and headers of any answer", () => {
    it("a created object: 201, Location, the object as JSON (4 spaces, as every JSON answer), the body typed", async () => {
        const answer = await server.fetch("/todos", { method: "POST", body: JSON.stringify({ title: "milk" }), headers: { "content-type": "application/json" } });
        assert.equal(answer.status, 201);
        assert.equal(answer.headers.get("location"), "/todos/7");
        assert.equal(answer.headers.get("content-type"), "application/json");
        assert.equal(await answer.text(), '{\n    "id": 7,\n    "title": "milk"\n}');
    });

    it("an async handler's status, on a text answer", async () => {
        const answer = await server.fetch("/accepted", { method: "POST" });
        assert.deepEqual([answer.status, await answer.text()], [202, "queued"]);
    });

    it("204 sends no body, whatever was returned", async () => {
        const answer = await server.raw("DELETE /nothing HTTP/1.1");
        assert.equal(answer.status, 204);
        assert.equal(answer.body, "");
        assert.equal(answer.headers["content-type"], undefined);
    });

    it("headers win over the answer's own, but for its framing", async () => {
        const answer = await server.fetch("/html");
        assert.equal(answer.headers.get("content-type"), "text/html; charset=utf-8");
        assert.equal(answer.headers.get("cache-control"), "no-store");
        assert.equal(answer.headers.get("content-length"), "11");
        assert.equal(await answer.text(), "<b>bold</b>");
    });

    it("a returned Response keeps its own status, and gets the headers", async () => {
        const answer = await server.fetch("/teapot");
        assert.equal(answer.status, 200);
        assert.equal(answer.headers.get("x-own"), "yes");
        assert.equal(await answer.text(), "my own");
    });

    it("a thrown error sets its own status; the headers reach it", async () => {
        const answer = await server.fetch("/fails");
        assert.equal(answer.status, 403);
        assert.equal(answer.headers.get("x-request-id"), "abc");
        assert.equal(await answer.text(), "no");
    });

    it("a status out of range is the handler's mistake, named", async () => {
        const answer = await server.fetch("/bad-status");
        assert.equal(answer.status, 500);
        assert.match(await answer.text(), /response\.status must be a whole number from 200 to 599, not 101/);
    });

    it("Set-Cookie lines from headers and from cookies are all sent", async () => {
        const answer = await server.fetch("/cookies");
        assert.deepEqual(answer.headers.getSetCookie(), ["a=1; Path=/", "b=2; Path=/; HttpOnly; SameSite=Lax"]);
    });

    it("a middleware's headers reach the answer of every route below it", async () => {
        const answer = await server.fetch("/guarded/page");
        assert.equal(answer.headers.get("x-frame-options"), "DENY");
        assert.deepEqual(await answer.json(), { page: 1 });
    });

    it("an event stream is 200 whatever the status, with the headers", async () => {
        const answer = await server.fetch("/events");
        assert.equal(answer.status, 200);
        assert.equal(answer.headers.get("x-stream"), "yes");
        assert.match(await answer.text(), /data: "one"/);
    });

    it("HEAD gets the GET's status and headers", async () => {
        const answer = await server.fetch("/html", { method: "HEAD" });
        assert.equal(answer.headers.get("content-type"), "text/html; charset=utf-8");
        assert.equal(await answer.text(), "");
    });
});
