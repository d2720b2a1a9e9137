/**
 * The chat example in a real browser: live between two pages, and across a server restart (the browser's
 * EventSource reconnects with its Last-Event-ID) without losing or doubling a message.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { ExamplesServer, launchBrowser, screenshot } from "./browser.ts";

const server = await ExamplesServer.start();
const browser: Browser = await launchBrowser();

async function openChat(name: string, viewport = { width: 1280, height: 800 }): Promise<Page> {
    const page = await (await browser.newContext({ viewport })).newPage();
    await page.goto(`${server.url}/chat`);
    await page.fill("#name", name);
    await page.locator('#status[data-state="live"]').waitFor({ timeout: 5000 });
    return page;
}

async function say(page: Page, text: string): Promise<void> {
    await page.fill("#text", text);
    await page.click("button[type=submit]");
}

/** The texts the page shows, in order, once it shows `count` of them (fails after `ms`). */
async function texts(page: Page, count: number, ms = 2000): Promise<string[]> {
    await page.locator("#messages li").nth(count - 1).waitFor({ timeout: ms });
    await page.waitForTimeout(100); // a duplicate, if any, would arrive now
    return page.locator("#messages li p").allTextContents();
}

describe("the chat example in Chromium", () => {
    it("shows each message once on every page, live, and again after the server restarts", async () => {
        const ada = await openChat("Ada");
        const grace = await openChat("Grace", { width: 390, height: 844 });
        await say(ada, "Hello Grace");
        await say(grace, "Hello Ada");
        assert.deepEqual(await texts(ada, 2), ["Hello Grace", "Hello Ada"]);
        assert.deepEqual(await texts(grace, 2), ["Hello Grace", "Hello Ada"]);

        // The server goes away: the pages say so, and reconnect once it is back.
        await server.stop();
        await ada.locator('#status[data-state="reconnecting"]').waitFor({ timeout: 5000 });
        await server.restart();
        // Posted before the pages are back: they must still show it, once.
        const posted = await fetch(`${server.url}/chat/messages`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "curl", text: "While you were away" }) });
        assert.equal(posted.status, 200);
        for (const page of [ada, grace]) await page.locator('#status[data-state="live"]').waitFor({ timeout: 5000 });
        await say(grace, "Back again");

        const expected = ["Hello Grace", "Hello Ada", "While you were away", "Back again"];
        assert.deepEqual(await texts(ada, 4, 5000), expected);
        assert.deepEqual(await texts(grace, 4, 5000), expected);
        for (const page of [ada, grace]) {
            const ids = await Promise.all((await page.locator("#messages li").all()).map((item) => item.getAttribute("data-id")));
            assert.equal(new Set(ids).size, ids.length, `ids shown twice: ${ids.join(", ")}`);
        }
        await screenshot(ada, "chat");
        await screenshot(grace, "chat-phone");
    });
});
