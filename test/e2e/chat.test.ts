/**
 * The chat example in a real browser: users log in, each message shows its author, live between two
 * pages, and across a server restart (the browser's EventSource reconnects with its Last-Event-ID)
 * without losing or doubling a message; a login ends where the server no longer honours it; opened
 * from disk (file://), the page reads the chat but cannot write to it.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { repoRoot } from "../helpers/server.ts";
import { chatLogin, ExamplesServer, launchBrowser, screenshot } from "./browser.ts";

const server = await ExamplesServer.start();
const browser: Browser = await launchBrowser();

/** A page of its own browser context (its own cookies: another user), open at `url`, once its stream is live. */
async function openPage(url: string, viewport = { width: 1280, height: 800 }): Promise<Page> {
    const page = await (await browser.newContext({ viewport })).newPage();
    await page.goto(url);
    await live(page);
    return page;
}

async function live(page: Page): Promise<void> {
    await page.locator('#status[data-state="live"]').waitFor({ timeout: 5000 });
}

/** Logs in through the page's login form; resolves once the message box shows. */
async function logIn(page: Page, name: string): Promise<void> {
    await page.locator("#login").waitFor({ timeout: 5000 });
    await page.fill("#name", name);
    await page.click("#login button[type=submit]");
    await page.locator("#compose").waitFor({ timeout: 5000 });
    assert.equal(await page.textContent("#who"), name);
}

async function openChat(name: string, viewport?: { width: number; height: number }, at: ExamplesServer = server): Promise<Page> {
    const page = await openPage(`${at.url}/chat`, viewport);
    await logIn(page, name);
    return page;
}

async function say(page: Page, text: string): Promise<void> {
    await page.fill("#text", text);
    await page.click("#compose button[type=submit]");
}

/** The messages the page shows, `author: text`, in order, once it shows `count` of them (fails after `ms`). */
async function shown(page: Page, count: number, ms = 2000): Promise<string[]> {
    await page.locator("#messages li").nth(count - 1).waitFor({ timeout: ms });
    await page.waitForTimeout(100); // a duplicate, if any, would arrive now
    return page.locator("#messages li").evaluateAll((items) => items.map((item) => `${item.querySelector("strong")!.textContent}: ${item.querySelector("p")!.textContent}`));
}

describe("the chat example in Chromium", () => {
    it("shows each message once on every page, under its author, live, and again after the server restarts", async () => {
        const ada = await openChat("Ada");
        const grace = await openChat("Grace", { width: 390, height: 844 });
        await say(ada, "Hello Grace");
        await say(grace, "Hello Ada");
        assert.deepEqual(await shown(ada, 2), ["Ada: Hello Grace", "Grace: Hello Ada"]);
        assert.deepEqual(await shown(grace, 2), ["Ada: Hello Grace", "Grace: Hello Ada"]);

        // The server goes away: the pages say so, and reconnect once it is back.
        await server.stop();
        await ada.locator('#status[data-state="reconnecting"]').waitFor({ timeout: 5000 });
        await server.restart();
        // Posted before the pages are back: they must still show it, once.
        const cookie = await chatLogin(server, "curl");
        const posted = await fetch(`${server.url}/chat/messages`, { method: "POST", headers: { "content-type": "application/json", cookie }, body: JSON.stringify({ text: "While you were away" }) });
        assert.equal(posted.status, 200);
        for (const page of [ada, grace]) await live(page);
        // The same $VSHS_SECRET: Grace is still logged in after the restart.
        await say(grace, "Back again");

        const expected = ["Ada: Hello Grace", "Grace: Hello Ada", "curl: While you were away", "Grace: Back again"];
        assert.deepEqual(await shown(ada, 4, 5000), expected);
        assert.deepEqual(await shown(grace, 4, 5000), expected);
        for (const page of [ada, grace]) {
            const ids = await Promise.all((await page.locator("#messages li").all()).map((item) => item.getAttribute("data-id")));
            assert.equal(new Set(ids).size, ids.length, `ids shown twice: ${ids.join(", ")}`);
            assert.equal(await page.textContent("#error"), "");
        }
        await screenshot(ada, "chat");
        await screenshot(grace, "chat-phone");
    });

    it("stays logged in across a reload, and logs out", async () => {
        const page = await openChat("Hedy");
        await page.reload();
        await live(page);
        await page.locator("#compose").waitFor({ timeout: 5000 });
        assert.equal(await page.textContent("#who"), "Hedy");

        await page.click("#logout");
        await page.locator("#login").waitFor({ timeout: 5000 });
        assert.ok(await page.locator("#compose").isHidden());
        assert.deepEqual(await page.evaluate(async () => (await fetch("/chat/login")).json()), { name: null });
        assert.equal(await page.evaluate(async () => (await fetch("/chat/messages", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "Hedy", text: "still here?" }) })).status), 401);
    });

    it("brings the login form back when a post is refused because the server restarted with another random secret", async () => {
        const randomSecret = await ExamplesServer.start({ VSHS_SECRET: undefined });
        const page = await openChat("Ada", undefined, randomSecret);
        await say(page, "before the restart");
        await shown(page, 1);
        await randomSecret.restart();
        await live(page);
        await say(page, "after the restart");
        await page.locator("#login").waitFor({ timeout: 5000 });
        assert.match((await page.textContent("#error"))!, /^Not sent: Log in first/);
        await logIn(page, "Ada");
        await say(page, "after logging in again");
        assert.deepEqual(await shown(page, 2), ["Ada: before the restart", "Ada: after logging in again"]);
    });

    it("opened from disk (file://), follows the chat through CORS but only reads: no login form, and it says where to write", async () => {
        const fromDisk = await openPage(`${pathToFileURL(path.join(repoRoot, "examples/chat/index.html")).href}?server=${encodeURIComponent(server.url)}`);
        assert.ok(await fromDisk.locator("#read-only").isVisible());
        assert.ok(await fromDisk.locator("#login").isHidden());
        assert.ok(await fromDisk.locator("#compose").isHidden());
        assert.equal(await fromDisk.getAttribute("#served", "href"), `${server.url}/chat`);
        const before = (await fromDisk.locator("#messages li").count()) + 1;
        const served = await openChat("Grace");
        await say(served, "seen from disk");
        assert.equal((await shown(fromDisk, before)).at(-1), "Grace: seen from disk");

        // What the page could try from file:// (its origin is "null", another site): the chat takes no write from it.
        // (No named functions inside evaluate(): tsx would wrap them in a helper the page does not have.)
        const tried = await fromDisk.evaluate(
            (app) =>
                Promise.all(
                    [["/chat/login", "name=Disk"], ["/chat/messages", "text=from disk"]].map(([path, body]) =>
                        fetch(app + path, { method: "POST", body: new URLSearchParams(body) }).then((response) => response.status, (error) => String(error)),
                    ),
                ),
            server.url,
        );
        assert.deepEqual(tried, [403, 403]);
        assert.equal(await fromDisk.textContent("#error"), "");
    });
});
