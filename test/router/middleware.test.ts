/**
 * Folder middleware: `_middleware.ts` files in a routes folder, and `"/path/_middleware"` keys of a
 * routes object. They run before every route of their folder and below, outermost first; undefined lets
 * the next run, anything else answers, a throw is the error.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { HTTPError, rateLimit, SSEResponse, startHTTPServer, type HandlerParams, type Middleware } from "vshs";
import { fixturesDir, serve } from "../helpers/server.ts";

type Trail = { trail: string[] };
const record =
    (name: string): Middleware =>
    ({ locals }) => {
        ((locals as Partial<Trail>).trail ??= []).push(name);
    };
let handlerRuns = 0;
let streamsOpened = 0;
let bodiesSeen: unknown[] = [];

const server = await serve({
    routes: {
        "/_middleware": record("root"),
        "/a/_middleware": record("a"),
        "/a/b/_middleware": async (params: HandlerParams) => {
            await new Promise((resolve) => setTimeout(resolve, 5));
            record("a/b")(params);
        },
        "/a/b/c/GET": ({ locals }) => ({ trail: (locals as Trail).trail }),
        "/a/sibling/GET": ({ locals }) => ({ trail: (locals as Trail).trail }),
        "/ab/GET": ({ locals }) => ({ trail: (locals as Trail).trail }),
        "/early/_middleware": ({ request }) => (request.headers.get("x-early") ? { answered: "by the middleware" } : undefined),
        "/early/GET": () => {
            handlerRuns++;
            return { answered: "by the handler" };
        },
        "/guarded/_middleware": ({ request }) => {
            if (request.headers.get("x-token") !== "yes") throw new HTTPError(403, "Not for you");
        },
        "/guarded/GET": () => "inside",
        "/guarded/events/GET": () =>
            new SSEResponse(async (self) => {
                streamsOpened++;
                await self.send("inside");
                self.close();
            }),
        "/guarded/body/POST": ({ body }) => {
            bodiesSeen.push(body);
            return body;
        },
        "/reads-body/_middleware": ({ body }) => void bodiesSeen.push(body),
        "/reads-body/POST": ({ body }) => (bodiesSeen.push(body), { same: bodiesSeen[0] === bodiesSeen[1] }),
        "/fails/_middleware": () => {
            throw new Error("the middleware broke");
        },
        "/fails/GET": () => "never",
        "/errors/403/GET": ({ body }) => ({ error: body }),
        "/limited/_middleware": rateLimit({ window: 60_000, max: 2, name: "middleware-test" }),
        "/limited/GET": () => "within the limit",
    },
    logger: () => {},
});

describe("middleware", () => {
    it("run outermost first, for the routes of their folder and below only, sharing locals with the handler", async () => {
        assert.deepEqual(await (await server.fetch("/a/b/c")).json(), { trail: ["root", "a", "a/b"] });
        assert.deepEqual(await (await server.fetch("/a/sibling")).json(), { trail: ["root", "a"] });
        assert.deepEqual(await (await server.fetch("/ab")).json(), { trail: ["root"] }, "/a's middleware does not guard /ab");
    });

    it("a middleware that returns a value answers with it, and the handler does not run", async () => {
        handlerRuns = 0;
        assert.deepEqual(await (await server.fetch("/early", { headers: { "x-early": "1" } })).json(), { answered: "by the middleware" });
        assert.equal(handlerRuns, 0);
        assert.deepEqual(await (await server.fetch("/early")).json(), { answered: "by the handler" });
        assert.equal(handlerRuns, 1);
    });

    it("a middleware that throws answers with the error, through /errors/{code}", async () => {
        const refused = await server.fetch("/guarded");
        assert.equal(refused.status, 403);
        assert.deepEqual(await refused.json(), { error: "Not for you" });
        assert.equal(await (await server.fetch("/guarded", { headers: { "x-token": "yes" } })).text(), "inside");
        const failed = await server.fetch("/fails");
        assert.equal(failed.status, 500);
        assert.equal(await failed.text(), "the middleware broke");
    });

    it("guard HEAD as GET, and an event stream: a refused stream never opens", async () => {
        assert.equal((await server.fetch("/guarded", { method: "HEAD" })).status, 403);
        assert.equal((await server.fetch("/guarded", { method: "HEAD", headers: { "x-token": "yes" } })).status, 200);
        streamsOpened = 0;
        const refused = await server.fetch("/guarded/events");
        assert.equal(refused.status, 403);
        await refused.text();
        assert.equal(streamsOpened, 0);
        const allowed = await server.fetch("/guarded/events", { headers: { "x-token": "yes" } });
        assert.match(await allowed.text(), /data: "inside"/);
        assert.equal(streamsOpened, 1);
    });

    it("rateLimit() is a middleware: past its max, 429 with Retry-After and the RateLimit headers", async () => {
        const statuses = [];
        for (let i = 0; i < 3; i++) statuses.push((await server.fetch("/limited")).status);
        assert.deepEqual(statuses, [200, 200, 429]);
        const refused = await server.fetch("/limited");
        assert.equal(refused.status, 429);
        assert.match(refused.headers.get("retry-after") ?? "", /^\d+$/);
        assert.equal(refused.headers.get("ratelimit-policy"), '"middleware-test";q=2;w=60');
        assert.match(refused.headers.get("ratelimit") ?? "", /^"middleware-test";r=0;t=\d+$/);
        assert.equal((await server.fetch("/early")).status, 200, "another folder is not limited");
    });

    it("the body is read once: a middleware and the handler see the same parsed value", async () => {
        bodiesSeen = [];
        const answer = await server.fetch("/reads-body", { method: "POST", headers: { "content-type": "application/json" }, body: '{"a":1}' });
        assert.deepEqual(await answer.json(), { same: true });
        assert.deepEqual(bodiesSeen[0], { a: 1 });
    });
});

const folder = path.join(fixturesDir, "middleware-routes");
const fromFolder = await serve({ routes: folder });

describe("_middleware files in a routes folder", () => {
    it("guard their folder and below, outermost first", async () => {
        assert.equal((await fromFolder.fetch("/admin/stats")).status, 401);
        assert.equal((await fromFolder.fetch("/admin/stats")).headers.get("www-authenticate"), "Bearer");
        const allowed = await fromFolder.fetch("/admin/stats", { headers: { authorization: "Bearer letmein" } });
        assert.deepEqual(await allowed.json(), { stats: "secret", trail: ["root", "admin"] });
        assert.deepEqual(await (await fromFolder.fetch("/public")).json(), { trail: ["root"] });
        const stream = await fromFolder.fetch("/admin/events");
        assert.equal(stream.status, 401);
        assert.doesNotMatch(await stream.text(), /secret/);
    });

    it("are listed with each route they run before", () => {
        const stats = fromFolder.routes.find((route) => route.path === "/admin/stats")!;
        assert.deepEqual(stats.middleware?.map((file) => path.relative(folder, file)), ["_middleware.ts", path.join("admin", "_middleware.ts")]);
        const publicRoute = fromFolder.routes.find((route) => route.path === "/public")!;
        assert.deepEqual(publicRoute.middleware?.map((file) => path.relative(folder, file)), ["_middleware.ts"]);
    });
});

describe("middleware mistakes stop the start, in one line", () => {
    async function folderWith(files: Record<string, string>): Promise<string> {
        const folder = await mkdtemp(path.join(tmpdir(), "vshs-middleware-"));
        for (const [name, content] of Object.entries(files)) {
            await mkdir(path.dirname(path.join(folder, name)), { recursive: true });
            await writeFile(path.join(folder, name), content);
        }
        return folder;
    }
    const startError = (routes: string | Record<string, unknown>) =>
        startHTTPServer({ hostname: "127.0.0.1", port: 0, routes: routes as never }).then(
            async (started) => (await started.close(), assert.fail("it started")),
            (error: Error) => (assert.equal(error.name, "StartupError"), assert.doesNotMatch(error.message, /\n/), error.message),
        );

    it("a _middleware.ts whose default export is not a function", async () => {
        const folder = await folderWith({ "a/_middleware.ts": "export default 42;\n", "a/GET.ts": "export default () => 1;\n" });
        assert.match(await startError(folder), /a[\\/]_middleware\.ts: the default export must be a function, not a number$/);
    });

    it("a _middleware.ts that does not load, with its file and line", async () => {
        const folder = await folderWith({ "_middleware.ts": "export default function (\n", "GET.ts": "export default () => 1;\n" });
        assert.match(await startError(folder), /_middleware\.ts:\d+:\d+: /);
    });

    it("two middleware files in one folder", async () => {
        const folder = await folderWith({ "a/_middleware.ts": "export default () => {};\n", "a/_middleware.js": "export default () => {};\n", "a/GET.ts": "export default () => 1;\n" });
        assert.match(await startError(folder), /^Two middleware files in one folder: .*_middleware\.js and .*_middleware\.ts \(keep one\)$/);
    });

    it("a routes-object middleware that is not a function", async () => {
        assert.equal(await startError({ "/a/_middleware": "nope", "/a/GET": () => 1 }), 'routes["/a/_middleware"]: the handler must be a function, not string');
    });
});
