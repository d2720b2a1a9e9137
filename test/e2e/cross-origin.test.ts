/**
 * A page from another origin cannot act as the user logged in to the chat, nor read the admin pages.
 * The user logs in at the examples server (http://127.0.0.1:<port>); then, in the same browser, a page
 * from another origin tries everything a page can do with the user's cookie: fetch() with credentials,
 * with and without CORS, a form posted into a frame, a login of its own choosing, and the chat's
 * WebSocket (refused before the upgrade: another origin). Two such origins:
 * another site (http://localhost:<other port>: an IP address and a name are different sites), where
 * SameSite=Lax already keeps the cookie off every POST; and the same site on another port
 * (http://127.0.0.1:<other port>), where the browser does send it and the chat's _middleware.ts, which
 * takes writes from the chat's own page only (Sec-Fetch-Site), is what refuses them.
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, describe, it } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { ExamplesServer, freePort, launchBrowser } from "./browser.ts";

const adminToken = "cross-origin-test-admin-token";
const server = await ExamplesServer.start({ ADMIN_TOKEN: adminToken });
const browser: Browser = await launchBrowser();

// The other origin: one tiny page, whatever the path, served on a port of its own.
const otherPort = await freePort();
const otherPage = `<!doctype html><meta charset="utf-8"><title>another origin</title><iframe name="sink"></iframe>`;
const other = createServer((_request, response) => response.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(otherPage));
await new Promise<void>((resolve) => other.listen(otherPort, "127.0.0.1", resolve));
after(() => new Promise((resolve) => other.close(resolve)));

/**
 * What a page of another origin gets when it tries to write to the chat and read /admin with the user's
 * cookie, each outcome as `<status> <body>`, `opaque` (sent, answer hidden) or `refused: TypeError`.
 * A script of the page as it would be written, in a string: tsx would wrap the named functions of a
 * function passed to evaluate() in a helper the page does not have.
 */
const attemptsScript = (app: string) => `(async () => {
    const app = ${JSON.stringify(app)};
    const outcome = (promise) => promise.then(
        async (response) => (response.type === "opaque" ? "opaque" : response.status + " " + (await response.text())),
        (error) => "refused: " + error.name,
    );
    const post = (path, body, init = {}) => fetch(app + path, { method: "POST", credentials: "include", body, ...init });
    return {
        // A preflighted request: the browser asks first, and a \`*\` answer allows no credentials.
        postJson: await outcome(post("/chat/messages", JSON.stringify({ text: "json from elsewhere" }), { headers: { "content-type": "application/json" } })),
        // Simple requests: sent at once, with the cookie if the browser sends it; the answer unreadable.
        postForm: await outcome(post("/chat/messages", new URLSearchParams({ text: "form from elsewhere" }))),
        postNoCors: await outcome(post("/chat/messages", new URLSearchParams({ text: "no-cors from elsewhere" }), { mode: "no-cors" })),
        loginNoCors: await outcome(post("/chat/login", new URLSearchParams({ name: "Mallory" }), { mode: "no-cors" })),
        logoutNoCors: await outcome(post("/chat/logout", new URLSearchParams(), { mode: "no-cors" })),
        whoIs: await outcome(fetch(app + "/chat/login", { credentials: "include" })),
        adminWithCookies: await outcome(fetch(app + "/admin/stats", { credentials: "include" })),
        admin: await outcome(fetch(app + "/admin/stats")),
        adminEvents: await outcome(fetch(app + "/admin/events")),
        adminGuess: await outcome(fetch(app + "/admin/stats", { headers: { authorization: "Bearer guess" } })),
        // A WebSocket: the browser sends the cookie with its handshake when it has one for that site.
        socket: await ${socketScript},
    };
})()`;

/** A page's script that opens the chat's WebSocket: its first message, or how it closed. */
const socketScript = `new Promise((resolve) => {
    const socket = new WebSocket(app.replace(/^http/, "ws") + "/chat/live");
    socket.onmessage = (event) => (resolve("message " + event.data), socket.close());
    socket.onclose = (event) => resolve("closed " + event.code);
})`;

type Attempts = Record<"postJson" | "postForm" | "postNoCors" | "loginNoCors" | "logoutNoCors" | "whoIs" | "adminWithCookies" | "admin" | "adminEvents" | "adminGuess" | "socket", string>;

let navigations = 0;

/** An HTML form of the other page posted to the chat into its frame (a navigation, not a fetch): what the frame shows. */
async function formPost(page: Page, app: string, path: string, fields: Record<string, string>): Promise<string> {
    path += `?form=${++navigations}`; // a URL of its own, to wait for this navigation and no earlier one
    await page.evaluate(`(() => {
        const form = document.createElement("form");
        form.method = "POST";
        form.action = ${JSON.stringify(app + path)};
        form.target = "sink";
        for (const [name, value] of Object.entries(${JSON.stringify(fields)})) form.append(Object.assign(document.createElement("input"), { name, value }));
        document.body.append(form);
        form.submit();
    })()`);
    const frame = page.frame({ name: "sink" })!;
    await frame.waitForURL(app + path, { timeout: 5000 });
    return (await frame.textContent("body"))!;
}

/** What the other page's frame shows once it is sent to `url` (the test reads it; the page itself could not). */
async function frameShows(page: Page, url: string): Promise<string> {
    url += `?frame=${++navigations}`;
    await page.evaluate(`document.querySelector("iframe").src = ${JSON.stringify(url)}`);
    const frame = page.frame({ name: "sink" })!;
    await frame.waitForURL(url, { timeout: 5000 });
    return (await frame.textContent("body"))!;
}

interface Kept {
    name: string;
    text: string;
}

describe("a page from another origin, in the browser of a logged-in user", () => {
    let context: BrowserContext;
    let user: Page;

    it("the user logs in and posts from the chat's own page (the cookie works)", async () => {
        context = await browser.newContext();
        user = await context.newPage();
        await user.goto(`${server.url}/chat`);
        await user.fill("#name", "Ada");
        await user.click("#login button[type=submit]");
        await user.locator("#compose").waitFor({ timeout: 5000 });
        await user.fill("#text", "my own message");
        await user.click("#compose button[type=submit]");
        await user.locator("#messages li", { hasText: "my own message" }).waitFor({ timeout: 5000 });
        const [cookie] = await context.cookies(server.url);
        assert.deepEqual([cookie!.name, cookie!.httpOnly, cookie!.sameSite], ["chat-name", true, "Lax"]);
        // The chat's own page opens its WebSocket as the user.
        assert.equal(await user.evaluate(`(async () => { const app = location.origin; return await ${socketScript}; })()`), 'message {"event":"hello","data":{"name":"Ada"}}');
    });

    for (const [what, origin, cookieSent] of [
        ["another site", `http://localhost:${otherPort}`, false],
        ["the same site on another port", `http://127.0.0.1:${otherPort}`, true],
    ] as const) {
        it(`${what} (${origin.replace(/\d+$/, "<port>")}) cannot post, log in, log out or read /admin as the user`, async () => {
            const page = await context.newPage();
            await page.goto(`${origin}/`);
            const tried = (await page.evaluate(attemptsScript(server.url))) as Attempts;
            const refusedWrite = "The chat takes writes from its own page only";
            assert.match(tried.postJson, /^refused: TypeError$/, "the preflight allows no credentials");
            assert.match(tried.postForm, /^refused: TypeError$/, "sent, but its answer is not the page's to read");
            assert.equal(tried.postNoCors, "opaque");
            assert.equal(tried.loginNoCors, "opaque");
            assert.equal(tried.logoutNoCors, "opaque");
            assert.match(tried.whoIs, /^refused: TypeError$/, "a `*` answer cannot be read with credentials");
            assert.match(tried.adminWithCookies, /^refused: TypeError$/);
            // The handshake is refused (403, another origin) before any socket opens: the page sees it fail.
            assert.equal(tried.socket, "closed 1006");
            for (const admin of [tried.admin, tried.adminEvents, tried.adminGuess]) {
                assert.equal(admin, "401 The admin pages need Authorization: Bearer <$ADMIN_TOKEN>");
            }
            // A form posted into a frame is a navigation: the frame shows the chat's refusal.
            assert.match(await formPost(page, server.url, "/chat/messages", { text: "form post from elsewhere" }), new RegExp(`^${refusedWrite}, not from a (cross|same)-site one$`));
            assert.match(await formPost(page, server.url, "/chat/login", { name: "Mallory" }), new RegExp(`^${refusedWrite}`));
            // Why SameSite=Lax alone would not do: within the site, the browser sends the cookie with
            // the other page's requests (here a frame's, whose answer only the test can read).
            assert.deepEqual(JSON.parse(await frameShows(page, `${server.url}/chat/login`)), { name: cookieSent ? "Ada" : null });
            await page.close();

            // Nothing was posted, and the user is still Ada, logged in.
            const kept = (await (await fetch(`${server.url}/chat/messages`)).json()) as Kept[];
            assert.deepEqual(kept.map(({ name, text }) => `${name}: ${text}`), ["Ada: my own message"]);
            assert.deepEqual(await user.evaluate(async () => (await fetch("/chat/login")).json()), { name: "Ada" });
            assert.equal(await user.locator("#messages li").count(), 1);
        });
    }

    it("with the token, the admin pages answer (what the pages above lacked)", async () => {
        const response = await fetch(`${server.url}/admin/stats`, { headers: { authorization: `Bearer ${adminToken}` } });
        assert.equal(response.status, 200);
        assert.deepEqual(Object.keys((await response.json()) as object), ["uptime", "openStreams", "routes"]);
    });
});
