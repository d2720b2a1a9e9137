import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { startHTTPServer, type Handler, type HandlerParams } from "vshs";
import { captureConsole } from "../helpers/server.ts";

const showRoute: Handler = ({ route }: HandlerParams) => route.path;
const patterns = ["/f/{id}/GET", "/f/{name}-{version}.json/GET", "/f/{name}.json/GET", "/f/static/GET", "/f/{file}x/GET"];

async function routesIn(order: string[]) {
    return captureConsole("warn", async () => {
        const server = await startHTTPServer({ hostname: "127.0.0.1", port: 0, routes: Object.fromEntries(order.map((key) => [key, showRoute])) });
        try {
            const answers: Record<string, string> = {};
            for (const url of ["/f/abc", "/f/v-1.json", "/f/v.json", "/f/static", "/f/abcx", "/f/a-b-c.json"]) {
                answers[url] = await (await fetch(server.url + url)).text();
            }
            return { answers, order: server.routes.map((route) => route.path) };
        } finally {
            await server.close();
        }
    });
}

describe("the route table", () => {
    it("ranks static > variable inside text > whole-segment variable, whatever the listing order", async () => {
        const expected = {
            "/f/abc": "/f/{id}/GET",
            "/f/v-1.json": "/f/{name}-{version}.json/GET",
            "/f/v.json": "/f/{name}.json/GET",
            "/f/static": "/f/static/GET",
            "/f/abcx": "/f/{file}x/GET",
            "/f/a-b-c.json": "/f/{name}-{version}.json/GET",
        };
        const forwards = await routesIn(patterns);
        const backwards = await routesIn([...patterns].reverse());
        assert.deepEqual(forwards.result.answers, expected);
        assert.deepEqual(backwards.result.answers, expected);
        assert.deepEqual(forwards.result.order, ["/f/static", "/f/{name}-{version}.json", "/f/{name}.json", "/f/{file}x", "/f/{id}"]);
        assert.deepEqual(backwards.result.order, forwards.result.order);
    });

    it("warns about a route partly shadowed by another, naming both", async () => {
        const { logged } = await routesIn(patterns);
        assert.match(logged, /Warning: routes\["\/f\/\{name\}\.json\/GET"\] is partly shadowed: GET \/f\/a-b\.json goes to routes\["\/f\/\{name\}-\{version\}\.json\/GET"\]/);
    });

    it("warns about sibling variables with different names, and about names differing only in case", async () => {
        const { logged } = await captureConsole("warn", async () => {
            const server = await startHTTPServer({
                hostname: "127.0.0.1",
                port: 0,
                routes: { "/users/{id}/GET": showRoute, "/users/{slug}/POST": showRoute, "/Docs/GET": showRoute, "/docs/GET": showRoute },
            });
            await server.close();
        });
        assert.match(logged, /routes\["\/users\/\{id\}\/GET"\] and routes\["\/users\/\{slug\}\/POST"\] match the same URLs with differently named variables/);
        assert.match(logged, /routes\["\/Docs\/GET"\] and routes\["\/docs\/GET"\] differ only in letter case/);
    });

    it("prints no warning for an ordinary table", async () => {
        const { logged } = await captureConsole("warn", async () => {
            const server = await startHTTPServer({ hostname: "127.0.0.1", port: 0, routes: { "/users/{id}/GET": showRoute, "/users/me/GET": showRoute, "/users/{id}/POST": showRoute } });
            await server.close();
        });
        assert.equal(logged, "");
    });
});
