import assert from "node:assert/strict";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import * as vshs from "vshs";
import { getQuery, rootDir, SSEResponse, startHTTPServer } from "vshs";
import { openEventStream } from "./helpers/events.ts";
import { unfinishedFunctionError } from "./helpers/runtime.ts";
import { fixturesDir } from "./helpers/server.ts";

/** Writes files (path → content) into a new temporary folder and returns it. */
async function folderWith(files: Record<string, string>): Promise<string> {
    const folder = await mkdtemp(path.join(tmpdir(), "vshs-test-"));
    for (const [name, content] of Object.entries(files)) {
        await mkdir(path.dirname(path.join(folder, name)), { recursive: true });
        await writeFile(path.join(folder, name), content);
    }
    return folder;
}

/** Starts, expecting a StartupError: its message must be one line and its stack free of the framework's frames. */
async function startupError(options: vshs.StartOptions): Promise<string> {
    const error = await startHTTPServer({ hostname: "127.0.0.1", port: 0, ...options }).then(
        (server) => {
            void server.close();
            throw new Error("the server started");
        },
        (error: Error) => error,
    );
    assert.equal(error.name, "StartupError");
    assert.doesNotMatch(error.message, /\n/);
    assert.doesNotMatch(error.stack ?? "", /[\\/](dist|src)[\\/].*\.(js|ts):\d+/, "a framework frame in the stack");
    return error.message;
}

describe("the package", () => {
    it("exports the public API and nothing else", () => {
        assert.deepEqual(Object.keys(vshs).sort(), ["Channel", "HTTPError", "PublishError", "SSEResponse", "WebSocketResponse", "channel", "default", "getQuery", "rateLimit", "rootDir", "startHTTPServer"]);
        assert.equal(vshs.default, startHTTPServer);
    });

    it("getQuery gives the query as an object, a repeated key as an array", () => {
        assert.deepEqual(getQuery(new URL("http://x/?a=1&b=2&b=3&c=%C3%A9")), { a: "1", b: ["2", "3"], c: "é" });
        assert.deepEqual(getQuery("/path?x=1"), { x: "1" });
        assert.deepEqual(getQuery(new URL("http://x/")), {});
    });

    it("rootDir() is the folder of the entry script", () => {
        assert.equal(rootDir(), import.meta.dirname);
    });
});

describe("starting", () => {
    it("picks a free port with port 0 and reports its URL, on localhost by default", async () => {
        const server = await startHTTPServer({ port: 0, routes: { "/GET": () => "root" } });
        try {
            assert.ok(server.port > 0);
            assert.equal(server.url, `http://localhost:${server.port}`);
            assert.equal(await (await fetch(server.url)).text(), "root");
        } finally {
            await server.close();
        }
    });

    it("reads folder options as the seed does: '/routes' and 'routes' from rootDir(), existing absolute paths as they are", async () => {
        for (const routes of ["/fixtures/routes", "fixtures/routes", path.join(fixturesDir, "routes")]) {
            const server = await startHTTPServer({ hostname: "127.0.0.1", port: 0, routes });
            try {
                assert.equal(await (await fetch(`${server.url}/custom`)).text(), "got", routes);
            } finally {
                await server.close();
            }
        }
    });

    it("loads TypeScript routes from a folder with no package.json, or one without type: module", async () => {
        const route = 'const word: string = await Promise.resolve("ok");\nexport default (): string => `${word} ${import.meta.dirname.split("/").pop()}`;\n';
        const bare = await folderWith({ "routes/here/GET.ts": route });
        const commonjs = await folderWith({ "package.json": '{ "name": "x", "type": "commonjs" }', "routes/here/GET.ts": route });
        const untyped = await folderWith({ "package.json": '{ "name": "y" }', "routes/here/GET.ts": route });
        for (const folder of [bare, commonjs, untyped]) {
            const server = await startHTTPServer({ hostname: "127.0.0.1", port: 0, routes: path.join(folder, "routes") });
            try {
                assert.equal(await (await fetch(`${server.url}/here`)).text(), "ok here", folder);
            } finally {
                await server.close();
            }
        }
    });

    it("reports a missing routes folder in one line naming it", async () => {
        const message = await startupError({ routes: "/no/such/folder" });
        assert.equal(message, `The routes folder was not found: /no/such/folder, nor ${path.join(import.meta.dirname, "no/such/folder")} (relative to the entry script's folder) (option "routes": "/no/such/folder")`);
        assert.equal(await startupError({ routes: "missing" }), `The routes folder was not found: ${path.join(import.meta.dirname, "missing")} (option "routes": "missing")`);
    });

    it("reports a missing static folder", async () => {
        assert.match(await startupError({ routes: {}, static: "/no/static/here" }), /The static folder was not found: .*\(option "static"/);
    });

    it("reports a route file whose default export is not a function, naming the file", async () => {
        const folder = await folderWith({ "routes/bad/GET.ts": "export default 42;\n", "routes/none/POST.ts": "export const x = 1;\n" });
        const message = await startupError({ routes: path.join(folder, "routes") });
        assert.match(message, /[\\/]routes[\\/](bad[\\/]GET\.ts: the default export must be a function, not a number|none[\\/]POST\.ts: the default export must be a function, not missing)/);
    });

    it("reports a route file that does not compile, naming the file and line", async () => {
        const folder = await folderWith({ "routes/broken/GET.ts": "export default function ( {\n" });
        const message = await startupError({ routes: path.join(folder, "routes") });
        assert.match(message, /[\\/]routes[\\/]broken[\\/]/);
        assert.match(message, unfinishedFunctionError);
    });

    it("reports two files claiming the same route, naming both", async () => {
        const twoVariables = await folderWith({ "routes/users/{id}/GET.ts": "export default () => 1;", "routes/users/{slug}/GET.ts": "export default () => 2;" });
        assert.match(await startupError({ routes: path.join(twoVariables, "routes") }), /Two routes claim GET \/users\/\{slug\}: .*\{id\}[\\/]GET\.ts and .*\{slug\}[\\/]GET\.ts/);
        const twoExtensions = await folderWith({ "routes/x/GET.ts": "export default () => 1;", "routes/x/GET.js": "export default () => 2;" });
        assert.match(await startupError({ routes: path.join(twoExtensions, "routes") }), /Two routes claim GET \/x: .*GET\.js and .*GET\.ts/);
    });

    it("reports an unusable variable name", async () => {
        const folder = await folderWith({ "routes/{my-id}/GET.ts": "export default () => 1;" });
        assert.match(await startupError({ routes: path.join(folder, "routes") }), /"\{my-id\}" is not a valid variable name/);
    });

    it("reports a port in use, naming the port", async () => {
        const taken = await startHTTPServer({ hostname: "127.0.0.1", port: 0, routes: {} });
        try {
            assert.equal(await startupError({ port: taken.port, routes: {} }), `Port ${taken.port} is already in use on 127.0.0.1 (option "port")`);
        } finally {
            await taken.close();
        }
    });

    it("reports bad numbers and bad route objects", async () => {
        assert.match(await startupError({ port: -1, routes: {} }), /The port option must be a whole number from 0 to 65535, not -1/);
        assert.match(await startupError({ port: "80" as unknown as number, routes: {} }), /The port option must be a whole number/);
        assert.match(await startupError({ channelsKept: 0, routes: {} }), /The channelsKept option must be a whole number from 1 to 10000000, not 0/);
        assert.match(await startupError({ routes: { "hello": () => 1 } }), /routes\["hello"\]: a route key is a path followed by a method/);
        assert.match(await startupError({ routes: { "/hello/GET": 42 as never } }), /routes\["\/hello\/GET"\]: the handler must be a function, not number/);
    });
});

describe("closing", () => {
    it("lets requests in flight finish, ends open event streams, then stops accepting", async () => {
        let streamClosed = false;
        const server = await startHTTPServer({
            hostname: "127.0.0.1",
            port: 0,
            routes: {
                "/slow/GET": async () => {
                    await sleep(300);
                    return "finished";
                },
                "/events/GET": () =>
                    new SSEResponse((self) => {
                        self.onConnectionClosed = () => (streamClosed = true);
                        void self.send("open");
                    }),
            },
        });
        const stream = openEventStream(`${server.url}/events`);
        await stream.waitFor(1);
        const inFlight = fetch(`${server.url}/slow`).then((response) => response.text());
        await sleep(50);
        const started = Date.now();
        await server.close();
        assert.equal(await inFlight, "finished");
        assert.ok(streamClosed, "onConnectionClosed was called");
        await stream.ended;
        assert.ok(Date.now() - started < 2000);
        await assert.rejects(
            new Promise((resolve, reject) => http.get(`${server.url}/slow`, resolve).on("error", reject)),
            /ECONNREFUSED/,
        );
    });
});
