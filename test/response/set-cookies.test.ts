/**
 * The cookies a handler (or its middleware) sets reach the answer, whatever the answer is; signed ones
 * round-trip with the server's secret and read as absent when forged; with no secret, a signed cookie is
 * a 500 naming the option, never a cookie signed with a default.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HTTPError, SSEResponse, type HandlerParams } from "vshs";
import { captureErrors, serve } from "../helpers/server.ts";

const secret = "a-test-secret-of-enough-length";
const setThen =
    (answer: (params: HandlerParams) => unknown) =>
    (params: HandlerParams): unknown => {
        params.cookies.set("flavour", "oat; raisin, é");
        return answer(params);
    };

const routes = {
    "/json/GET": setThen(() => ({ ok: true })),
    "/text/GET": setThen(() => "text"),
    "/nothing/GET": setThen(() => null),
    "/error/GET": setThen(() => {
        throw new HTTPError(401, "log in first");
    }),
    "/crash/GET": setThen(() => {
        throw new Error("broken");
    }),
    "/redirect/GET": setThen(() => {
        const response = Response.redirect("http://localhost/elsewhere", 302);
        const headers = new Headers(response.headers);
        headers.append("set-cookie", "own=1; Path=/");
        return new Response(null, { status: 302, headers });
    }),
    "/stream/GET": setThen(() => new SSEResponse((self) => self.close())),
    "/async/GET": setThen(async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        return "later";
    }),
    "/guarded/_middleware": ({ cookies }: HandlerParams) => void cookies.set("seen", "by the middleware"),
    "/guarded/GET": () => "behind",
    "/read/GET": ({ cookies }: HandlerParams) => ({ flavour: cookies.get("flavour") ?? null }),
    "/delete/GET": ({ cookies }: HandlerParams) => (cookies.delete("flavour"), "deleted"),
    "/sign/GET": ({ cookies }: HandlerParams) => (cookies.set("user", "ada", { signed: true }), "signed"),
    "/whoami/GET": async ({ cookies }: HandlerParams) => ({ user: (await cookies.get("user", { signed: true })) ?? null }),
};
const server = await serve({ routes, secret, logger: () => {} });
const unsigned = await serve({ routes, logger: () => {} });
const behindProxy = await serve({ routes, secret, trustProxy: 1, logger: () => {} });

const cookiesOf = (response: Response) => response.headers.getSetCookie();
const flavourLine = /^flavour=oat%3B%20raisin%2C%20%C3%A9; Path=\/; HttpOnly; SameSite=Lax$/;

describe("cookies reach every answer", () => {
    for (const [pathname, status] of [["/json", 200], ["/text", 200], ["/nothing", 200], ["/error", 401], ["/async", 200], ["/stream", 200]] as const) {
        it(`${pathname} → ${status}, with the cookie`, async () => {
            const response = await server.fetch(pathname);
            assert.equal(response.status, status);
            await response.arrayBuffer();
            assert.equal(cookiesOf(response).length, 1, JSON.stringify(cookiesOf(response)));
            assert.match(cookiesOf(response)[0]!, flavourLine);
        });
    }

    it("a handler that crashes: the 500 carries the cookie too", async () => {
        const { result } = await captureErrors(async () => {
            const response = await server.fetch("/crash");
            await response.text();
            return { status: response.status, cookies: cookiesOf(response) };
        });
        assert.equal(result.status, 500);
        assert.match(result.cookies[0]!, flavourLine);
    });

    it("a returned Response keeps its own Set-Cookie lines, the handler's follow", async () => {
        const response = await server.fetch("/redirect", { redirect: "manual" });
        assert.equal(response.status, 302);
        assert.deepEqual(cookiesOf(response).map((line) => line.split("=")[0]), ["own", "flavour"]);
    });

    it("a middleware's cookie reaches the handler's answer", async () => {
        assert.match(cookiesOf(await server.fetch("/guarded"))[0]!, /^seen=by%20the%20middleware; /);
    });

    it("any string round-trips, and a delete tells the browser to forget", async () => {
        const line = cookiesOf(await server.fetch("/json"))[0]!;
        const sent = line.split(";")[0]!;
        assert.deepEqual(await (await server.fetch("/read", { headers: { cookie: sent } })).json(), { flavour: "oat; raisin, é" });
        assert.match(cookiesOf(await server.fetch("/delete"))[0]!, /^flavour=; Path=\/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax$/);
    });
});

describe("signed cookies", () => {
    it("round-trip with the server's secret", async () => {
        const sent = cookiesOf(await server.fetch("/sign"))[0]!.split(";")[0]!;
        assert.match(sent, /^user=ada\.[A-Za-z0-9_-]{43}$/);
        assert.deepEqual(await (await server.fetch("/whoami", { headers: { cookie: sent } })).json(), { user: "ada" });
    });

    it("a changed value or signature reads as absent, never as an error", async () => {
        const sent = cookiesOf(await server.fetch("/sign"))[0]!.split(";")[0]!;
        for (const forged of [sent.replace("ada", "bob"), sent.slice(0, -1), "user=ada", `${sent}x`, "user=.", sent.replace("user=", "other=")]) {
            const response = await server.fetch("/whoami", { headers: { cookie: forged } });
            assert.equal(response.status, 200, forged);
            assert.deepEqual(await response.json(), { user: null }, forged);
        }
    });

    it("with no secret configured: a 500 naming the option, and no cookie", async () => {
        const { result, logged } = await captureErrors(async () => {
            const response = await unsigned.fetch("/sign");
            return { status: response.status, text: await response.text(), cookies: cookiesOf(response) };
        });
        assert.equal(result.status, 500);
        assert.match(result.text, /secret/);
        assert.match(result.text, /--secret-file|VSHS_SECRET/);
        assert.deepEqual(result.cookies, []);
        assert.match(logged, /secret/);
        assert.equal((await unsigned.fetch("/whoami", { headers: { cookie: "user=ada.xyz" } })).status, 500);
    });
});

describe("Secure, when the request came over HTTPS", () => {
    it("through a trusted proxy that says so (X-Forwarded-Proto), and only then", async () => {
        const https = { "x-forwarded-proto": "https" };
        assert.match(cookiesOf(await behindProxy.fetch("/json", { headers: https }))[0]!, /; Secure; SameSite=Lax$/);
        assert.doesNotMatch(cookiesOf(await behindProxy.fetch("/json"))[0]!, /Secure/);
        assert.doesNotMatch(cookiesOf(await server.fetch("/json", { headers: https }))[0]!, /Secure/, "no proxy trusted: the header is the client's word");
    });
});
