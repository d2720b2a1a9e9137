// The admin example: examples/routes/admin/_middleware.ts lets a request through to the routes under
// /admin only with `Authorization: Bearer $ADMIN_TOKEN`; anything else is a 401 with WWW-Authenticate.
// The guard is tried under every spelling of /admin/stats a client or a router might produce.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { openEventStream } from "./helpers/events.ts";
import { rawRequest, serveExamples, type RawAnswer } from "./helpers/server.ts";

const token = "a-token-for-the-admin-tests";
process.env["ADMIN_TOKEN"] = token; // read by the middleware at each request: a test may change it
const server = await serveExamples();
const bearer = { authorization: `Bearer ${token}` };

const unauthorized = "The admin pages need Authorization: Bearer <$ADMIN_TOKEN>";

interface Stats {
    uptime: number;
    openStreams: Record<string, number>;
    routes: number;
}

async function stats(): Promise<Stats> {
    const response = await server.fetch("/admin/stats", { headers: bearer });
    assert.equal(response.status, 200);
    return (await response.json()) as Stats;
}

/**
 * Whether an answer gives nothing of the admin pages away: a refusal, or (Bun reads the target
 * `http://localhost\admin\stats` as `/`) a page that is none of theirs. HEAD has no body to look at,
 * so its status and type are what tell.
 */
function assertNothingGiven(answer: RawAnswer, what: string): void {
    assert.doesNotMatch(answer.body, /uptime|openStreams|section/, `${what}: the admin pages answered`);
    assert.notEqual(answer.headers["content-type"], "text/event-stream", `${what}: a stream was opened`);
    if (answer.status < 400) assert.equal(answer.headers["content-type"], "text/html; charset=utf-8", `${what}: answered ${answer.status}`);
}

describe("the admin example", () => {
    it("answers 401 with WWW-Authenticate: Bearer without the token, for every route and method under /admin", async () => {
        const headersTried: (Record<string, string> | undefined)[] = [
            undefined,
            { authorization: "Bearer" },
            { authorization: "Bearer " },
            { authorization: `Bearer ${token}x` },
            { authorization: `Bearer ${token.slice(0, -1)}` },
            { authorization: `Bearer ${token.toUpperCase()}` },
            { authorization: `Bearer ${token} ${token}` },
            { authorization: `Basic ${Buffer.from(`admin:${token}`).toString("base64")}` },
            { authorization: token },
            { authorization: `Token ${token}` },
            { cookie: `token=${token}` },
        ];
        for (const path of ["/admin/stats", "/admin/events", "/admin/users", "/admin/stats?token=" + token]) {
            for (const method of ["GET", "HEAD"]) {
                for (const headers of headersTried) {
                    const response = await server.fetch(path, { method, headers });
                    const what = `${method} ${path} ${JSON.stringify(headers)}`;
                    assert.equal(response.status, 401, what);
                    assert.equal(response.headers.get("www-authenticate"), 'Bearer realm="admin"', what);
                    assert.equal(await response.text(), method === "HEAD" ? "" : unauthorized, what);
                }
            }
        }
    });

    it("with ADMIN_TOKEN unset or empty, refuses every request, whatever it carries", async () => {
        try {
            for (const value of [undefined, ""]) {
                if (value === undefined) delete process.env["ADMIN_TOKEN"];
                else process.env["ADMIN_TOKEN"] = value;
                for (const authorization of ["Bearer ", "Bearer undefined", "Bearer null", `Bearer ${token}`, "Bearer \"\""]) {
                    const response = await server.fetch("/admin/stats", { headers: { authorization } });
                    assert.equal(response.status, 401, `${String(value)} ${authorization}`);
                }
            }
        } finally {
            process.env["ADMIN_TOKEN"] = token;
        }
    });

    it("GET /admin/stats with the token answers { uptime, openStreams, routes }: the routes the server serves", async () => {
        const response = await server.fetch("/admin/stats", { headers: { authorization: `bearer ${token}` } }); // the scheme's name is case-insensitive
        assert.equal(response.status, 200);
        assert.equal(response.headers.get("content-type"), "application/json");
        const body = (await response.json()) as Stats;
        assert.deepEqual(Object.keys(body), ["uptime", "openStreams", "routes"]);
        assert.ok(Number.isInteger(body.uptime) && body.uptime >= 0 && body.uptime <= process.uptime() + 1, `uptime ${body.uptime}`);
        assert.deepEqual(Object.keys(body.openStreams), ["/admin/events", "/chat/events"]);
        assert.equal(body.routes, server.routes.length, "one route per route file");
    });

    it("GET /admin/{section} with the token answers { section }; /admin itself is no route", async () => {
        const response = await server.fetch("/admin/users", { headers: bearer });
        assert.deepEqual([response.status, await response.json()], [200, { section: "users" }]);
        const encoded = await server.fetch("/admin/caf%C3%A9", { headers: bearer });
        assert.deepEqual(await encoded.json(), { section: "café" });
        assert.equal((await server.fetch("/admin", { headers: bearer })).status, 404);
    });

    it("GET /admin/events streams the stats every second, and openStreams counts the open streams of /admin/events and /chat/events", { timeout: 10_000 }, async () => {
        const refused = openEventStream(`${server.url}/admin/events`);
        assert.equal((await refused.opened).statusCode, 401);
        refused.close();

        const stream = openEventStream(`${server.url}/admin/events`, bearer);
        assert.equal((await stream.opened).headers["content-type"], "text/event-stream");
        const chat = openEventStream(`${server.url}/chat/events`);
        await chat.opened;
        const started = performance.now();
        const events = await stream.waitFor(2);
        assert.ok(performance.now() - started > 500, "one event a second, not a burst");
        assert.deepEqual(events.map((event) => event.event), ["stats", "stats"]);
        const first = JSON.parse(events[0]!.data) as Stats;
        assert.equal(first.openStreams["/admin/events"], 1, "the stream counts itself");
        assert.equal(first.routes, server.routes.length);
        const second = JSON.parse(events[1]!.data) as Stats;
        assert.equal(second.openStreams["/chat/events"], 1);

        stream.close();
        chat.close();
        let now = await stats();
        for (let i = 0; i < 40 && (now.openStreams["/admin/events"] !== 0 || now.openStreams["/chat/events"] !== 0); i++) {
            await sleep(50);
            now = await stats();
        }
        assert.deepEqual(now.openStreams, { "/admin/events": 0, "/chat/events": 0 }, "closed streams are counted out");
    });
});

describe("the admin guard cannot be walked around", () => {
    const port = server.port;
    // Every way a client, a proxy or a router might spell /admin/stats (or be led to it), sent as raw
    // bytes so that no client normalises them first.
    const spellings = [
        "/admin/stats",
        // percent-encoded letters, and an encoded slash
        "/%61dmin/stats",
        "/admin/%73tats",
        "/%61%64%6D%69%6E/%73%74%61%74%73",
        "/%61%64%6d%69%6e/%73%74%61%74%73",
        "/admin%2Fstats",
        "/admin%2fstats",
        "/%2561dmin/stats",
        "/admin/stat%73?",
        // doubled and trailing slashes
        "//admin/stats",
        "/admin//stats",
        "///admin///stats",
        "/admin/stats/",
        "/admin/stats//",
        // dot segments, plain and encoded
        "/./admin/stats",
        "/admin/./stats",
        "/x/../admin/stats",
        "/admin/x/../stats",
        "/admin/stats/.",
        "/admin/stats/x/..",
        "/../admin/stats",
        "/%2e/admin/stats",
        "/x/%2e%2e/admin/stats",
        "/x/%2E%2E/admin/stats",
        "/admin/%2e/stats",
        "/admin/.%2e/admin/stats",
        "/admin/stats/%2e",
        // backslashes, which the URL parser reads as slashes
        "/admin\\stats",
        "/x\\..\\admin\\stats",
        // case
        "/Admin/stats",
        "/ADMIN/STATS",
        "/admin/Stats",
        "/%41dmin/stats",
        // ;params, queries and fragments
        "/admin;/stats",
        "/admin;x=1/stats",
        "/admin/stats;",
        "/admin/stats;x=1",
        "/admin/stats?x=1",
        "/admin/stats?",
        "/admin/stats#x",
        "/admin/stats%23x",
        "/admin/stats%3Fx",
        // other bytes a parser might trim or drop
        "/admin/stats%00",
        "/admin/stats%20",
        "/admin/stats%09",
        "/admin/stats.",
        "/admin/stats.json",
        "/admin/stats~",
        // absolute-form request targets, as sent to a proxy
        "http://localhost/admin/stats",
        `http://localhost:${port}/admin/stats`,
        "HTTP://LOCALHOST/admin/stats",
        "https://localhost/admin/stats",
        "http://elsewhere.example/admin/stats",
        "http://user:pass@localhost/admin/stats",
        "http://localhost//admin/stats",
        "http://localhost/./admin/stats",
        "http://localhost/%61dmin/stats",
        "http://localhost/x/../admin/stats",
        "http://localhost\\admin\\stats",
        "//localhost/admin/stats",
        // the stream too
        "/admin/events",
        "/%61dmin/events",
        "//admin/events",
        "/admin/./events",
    ];

    const request = (method: string, target: string, headers: string[] = []) =>
        rawRequest(port, [`${method} ${target} HTTP/1.1`, "Host: localhost", ...headers, "Connection: close", "", ""].join("\r\n"));

    it("never answers the stats, or opens the stream, without the token, whatever the spelling or method", async () => {
        const noToken: string[][] = [[], ["Authorization: Bearer"], ["Authorization: Bearer wrong"], [`Authorization: Basic ${Buffer.from(`:${token}`).toString("base64")}`]];
        for (const target of spellings) {
            for (const method of ["GET", "HEAD", "POST", "OPTIONS"]) {
                for (const headers of noToken) {
                    const answer = await request(method, target, headers);
                    const what = `${method} ${target} ${headers.join(" ")}`;
                    if (method === "OPTIONS") {
                        // A preflight: no route runs, and it says nothing but the methods allowed.
                        assert.ok(answer.status === 204 || answer.status >= 400, `${what}: ${answer.status}`);
                        assert.doesNotMatch(answer.body, /uptime|openStreams/, what);
                    } else {
                        assertNothingGiven(answer, what);
                    }
                }
            }
        }
    });

    it("lets the same spellings reach the stats with the token where the server routes them there: the guard, not a 404, stops them above", async () => {
        const reached: string[] = [];
        for (const target of spellings.filter((spelling) => !spelling.includes("events"))) { // a stream would not end
            const answer = await request("GET", target, [`Authorization: Bearer ${token}`]);
            if (answer.status === 200) reached.push(target);
            // And HEAD reaches what GET reaches, answering its headers only.
            const head = await request("HEAD", target, [`Authorization: Bearer ${token}`]);
            assert.equal(head.status === 200, answer.status === 200, `HEAD ${target}: ${head.status}, GET: ${answer.status}`);
        }
        for (const target of ["/admin/stats", "/%61dmin/stats", "/admin/%73tats", "/admin/./stats", "/x/../admin/stats", "/admin/stats?x=1", "http://localhost/admin/stats"]) {
            assert.ok(reached.includes(target), `${target} should reach the stats with the token (reached: ${reached.join(" ")})`);
        }
    });
});
