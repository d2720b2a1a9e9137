import assert from "node:assert/strict";
import { mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { startHTTPServer } from "vshs";
import { testServer } from "vshs/testing";
import { unfinishedFunctionError } from "../helpers/runtime.ts";
import { captureConsole } from "../helpers/server.ts";

const project = await mkdtemp(path.join(tmpdir(), "vshs-watch-"));
const routes = path.join(project, "routes");

async function write(file: string, content: string): Promise<void> {
    await mkdir(path.dirname(path.join(project, file)), { recursive: true });
    await writeFile(path.join(project, file), content);
}

await write("routes/hello/GET.ts", 'export default (): string => "v1";\n');
await write("routes/uses-helper/GET.ts", 'import { word } from "../../lib/helper.ts";\nexport default () => word;\n');
await write("lib/helper.ts", 'export const word: string = "helper v1";\n');
await write(
    "routes/events/GET.ts",
    `import { SSEResponse } from "vshs";
export default () => new SSEResponse((self) => {
    let count = 0;
    const timer = setInterval(() => void self.send(count++), 20);
    self.onConnectionClosed = () => clearInterval(timer);
});
`,
);
// Route files import "vshs": give the temporary project this package.
await mkdir(path.join(project, "node_modules"));
await import("node:fs/promises").then(({ symlink }) => symlink(path.resolve(import.meta.dirname, "../.."), path.join(project, "node_modules", "vshs")));

const server = await testServer({ routes, watch: true });
after(() => server.close());

/** Polls `check` until it stops throwing; returns how long that took. (A reload takes tens of ms; the bound is for a loaded CI machine, where Deno's later reloads took seconds.) */
async function eventually(check: () => Promise<void>, ms = 15_000): Promise<number> {
    const started = Date.now();
    for (;;) {
        try {
            await check();
            return Date.now() - started;
        } catch (error) {
            if (Date.now() - started > ms) throw error;
            await sleep(10);
        }
    }
}

const textOf = async (pathname: string) => {
    const response = await server.fetch(pathname);
    return `${response.status} ${await response.text()}`;
};

describe("watch mode", () => {
    const stream = server.events("/events");
    let lastCount = -1;
    const streamStillFlowing = async () => {
        const { value: event } = await stream.next();
        assert.ok(Number(event?.data) > lastCount, "the stream opened before the reloads goes on");
        lastCount = Number(event?.data);
    };

    it("takes an edited route file within a second, while an event stream stays open", async () => {
        await streamStillFlowing();
        await write("routes/hello/GET.ts", 'export default (): string => "v2";\n');
        const took = await eventually(async () => assert.equal(await textOf("/hello"), "200 v2"));
        assert.ok(took < 1000);
        await streamStillFlowing();
    });

    it("serves an added route file, and forgets a deleted one", async () => {
        await write("routes/added/{name}/GET.ts", 'import type { HandlerParams } from "vshs";\nexport default ({ route }: HandlerParams) => `added ${route.vars.name}`;\n');
        await eventually(async () => assert.equal(await textOf("/added/x"), "200 added x"));
        await rm(path.join(routes, "added"), { recursive: true });
        await eventually(async () => assert.equal(await textOf("/added/x"), "404 Not Found: /added/x"));
        await streamStillFlowing();
    });

    it("follows a renamed folder", async () => {
        await rename(path.join(routes, "hello"), path.join(routes, "greet"));
        await eventually(async () => {
            assert.equal(await textOf("/greet"), "200 v2");
            assert.equal(await textOf("/hello"), "404 Not Found: /hello");
        });
    });

    it("answers 500 naming file and line for a broken file, keeps the others serving, and recovers", async () => {
        const { logged } = await captureConsole("error", async () => {
            await write("routes/greet/GET.ts", "export default function ( {\n");
            await eventually(async () => {
                const answer = await textOf("/greet");
                assert.match(answer, /^500 .*routes[\\/]greet[\\/]GET\.ts/);
                assert.match(answer, unfinishedFunctionError);
            });
        });
        assert.match(logged, /Cannot load .*greet[\\/]GET\.ts \(it answers 500 until it is fixed\)/);
        assert.equal(await textOf("/uses-helper"), "200 helper v1");
        await streamStillFlowing();
        await captureConsole("error", async () => {
            await write("routes/greet/GET.ts", 'export default (): string => "fixed";\n');
            await eventually(async () => assert.equal(await textOf("/greet"), "200 fixed"));
        });
    });

    it("picks up an edited helper a route imports, even outside the routes folder", async () => {
        await write("lib/helper.ts", 'export const word: string = "helper v2";\n');
        await eventually(async () => assert.equal(await textOf("/uses-helper"), "200 helper v2"));
        await streamStillFlowing();
        stream.close();
    });

    it("ends, with a retry hint, the streams of a route file that changed; the others go on", async () => {
        const ticker = (version: string) => `import { SSEResponse } from "vshs";
export default () => new SSEResponse((self) => {
    const timer = setInterval(() => void self.send("${version}"), 20);
    self.onConnectionClosed = () => clearInterval(timer);
});
`;
        await write("routes/ticker/GET.ts", ticker("old"));
        await eventually(async () => assert.equal((await server.fetch("/ticker", { method: "HEAD" })).status, 200));
        const other = server.events("/events");
        await other.next();
        const response = await server.fetch("/ticker");
        const text = response.text();
        await sleep(50);
        await write("routes/ticker/GET.ts", ticker("new"));
        assert.match(await text, /data: "old"\n\nretry: \d+\n\n$/);
        assert.ok((await other.next()).value?.data !== undefined, "the stream of an unchanged route goes on");
        other.close();
        const renewed = server.events("/ticker");
        assert.equal((await renewed.next()).value?.data, '"new"');
        renewed.close();
    });

    it("closes with 1012 the WebSockets of a route file that changed; the others stay open", async () => {
        const socketRoute = (version: string) => `import { WebSocketResponse } from "vshs";
export default () => new WebSocketResponse((self) => self.send("${version}"));
`;
        await write("routes/live/GET.ts", socketRoute("old"));
        await write("routes/steady/GET.ts", socketRoute("steady"));
        await eventually(async () => assert.equal((await server.fetch("/steady")).status, 426));
        const [live, steady] = [await server.websocket("/live"), await server.websocket("/steady")];
        await write("routes/live/GET.ts", socketRoute("new"));
        assert.deepEqual(await live.closed, { code: 1012, reason: "the route changed" });
        const renewed = await server.websocket("/live");
        for await (const message of renewed) {
            assert.equal(message, "new");
            break;
        }
        steady.send("still there?");
        const outcome = await Promise.race([steady.closed, sleep(300).then(() => "open")]);
        assert.equal(outcome, "open", "the socket of an unchanged route stays open");
        steady.close();
    });

    it("ends at once (retry:) a stream opened by a handler still working when its file changed", async () => {
        // The old handler waits on a gate the test opens once the new file serves, however long the reload takes.
        const slow = (version: string, gated: boolean) => `import { SSEResponse } from "vshs";
export default async () => {
    ${gated ? "await (globalThis as { slowTickerGate?: Promise<void> }).slowTickerGate;" : ""}
    return new SSEResponse((self) => {
        const timer = setInterval(() => void self.send("${version}"), 20);
        self.onConnectionClosed = () => clearInterval(timer);
    });
};
`;
        let openGate!: () => void;
        (globalThis as { slowTickerGate?: Promise<void> }).slowTickerGate = new Promise<void>((resolve) => (openGate = resolve));
        await write("routes/slow-ticker/GET.ts", slow("old", true));
        await eventually(async () => assert.match((await server.fetch("/slow-ticker", { method: "OPTIONS" })).headers.get("allow") ?? "", /GET/), 15_000);
        const text = server.fetch("/slow-ticker").then((response) => response.text());
        await sleep(100);
        await write("routes/slow-ticker/GET.ts", slow("new", false));
        // Answered at once by the new code; the old one, waiting on the gate, would not answer: given up after 1 s, and asked again.
        await eventually(async () => assert.equal((await server.fetch("/slow-ticker", { method: "HEAD", signal: AbortSignal.timeout(1000) })).status, 200), 15_000);
        openGate();
        const ended = await Promise.race([text, sleep(10_000).then(() => "still open after 10 s")]);
        assert.match(ended, /^:ok\n\nretry: \d+\n\n$/, "the old code's stream runs no event");
    });

    it("reloads a _middleware.ts that changes, and ends the streams behind it", async () => {
        const guard = (allowed: string) => `import { HTTPError, type HandlerParams } from "vshs";
export default ({ request }: HandlerParams) => {
    if (request.headers.get("x-pass") !== "${allowed}") throw new HTTPError(403, "no");
};
`;
        await write("routes/guarded/_middleware.ts", guard("one"));
        await write("routes/guarded/GET.ts", 'export default () => "inside";\n');
        await write(
            "routes/guarded/events/GET.ts",
            `import { SSEResponse } from "vshs";
export default () => new SSEResponse((self) => {
    const timer = setInterval(() => void self.send("tick"), 20);
    self.onConnectionClosed = () => clearInterval(timer);
});
`,
        );
        await eventually(async () => assert.equal(await textOf("/guarded"), "403 no"));
        assert.equal((await server.fetch("/guarded", { headers: { "x-pass": "one" } })).status, 200);
        const behind = server.fetch("/guarded/events", { headers: { "x-pass": "one" } }).then((response) => response.text());
        await sleep(100);
        await write("routes/guarded/_middleware.ts", guard("two"));
        await eventually(async () => assert.equal((await server.fetch("/guarded", { headers: { "x-pass": "two" } })).status, 200));
        assert.equal((await server.fetch("/guarded", { headers: { "x-pass": "one" } })).status, 403);
        const ended = await Promise.race([behind, sleep(10_000).then(() => "still open after 10 s")]);
        assert.match(ended, /retry: \d+\n\n$/, "the stream behind the changed middleware ends with a retry hint");
    });

    it("empties module state on a reload, but keeps what the docs' pattern keeps on globalThis", async () => {
        const counter = (version: string) => `let fresh = 0;
const kept = ((globalThis as { counts?: { n: number } }).counts ??= { n: 0 });
export default () => \`${version} \${++kept.n} \${++fresh}\`;
`;
        await write("routes/count/POST.ts", counter("v1"));
        const answers: string[] = [];
        const post = async () => {
            const answer = await (await server.fetch("/count", { method: "POST" })).text();
            answers.push(answer);
            return answer;
        };
        await eventually(async () => assert.match(await post(), /^v1 /));
        const [, first] = answers.at(-1)!.split(" ").map(Number);
        assert.equal(await post(), `v1 ${first! + 1} ${first! + 1}`);
        await write("routes/count/POST.ts", counter("v2"));
        await eventually(async () => assert.match(await post(), /^v2 /));
        const lastKept = Number(answers.at(-2)!.split(" ")[1]);
        assert.equal(answers.at(-1), `v2 ${lastKept + 1} 1`, "the kept count goes on; the module's own starts again");
    });

    it("needs a routes folder", async () => {
        await assert.rejects(startHTTPServer({ port: 0, routes: {}, watch: true }), /The watch option needs a routes folder/);
    });
});
