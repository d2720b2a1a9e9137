/**
 * The demo page in a real browser: two pages in the same room see each other's messages live, served by
 * vshs or opened from disk (file://, so through CORS), on a laptop-sized and a phone-sized window.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { repoRoot } from "../helpers/server.ts";
import { ExamplesServer, launchBrowser, screenshot } from "./browser.ts";

const server = await ExamplesServer.start();
const browser: Browser = await launchBrowser();
const laptop = { width: 1280, height: 800 };
const phone = { width: 390, height: 844 };

async function openDemo(url: string, viewport = laptop): Promise<Page> {
    const page = await (await browser.newContext({ viewport })).newPage();
    await page.goto(url);
    return page;
}

async function send(page: Page, text: string): Promise<void> {
    await page.fill("#message", text);
    await page.click("button[type=submit]");
}

/** Waits until the page shows `text` in its list of messages; fails after two seconds. */
async function seesMessage(page: Page, text: string): Promise<void> {
    await page.locator("#messages li", { hasText: text }).waitFor({ timeout: 2000 });
}

async function live(page: Page): Promise<void> {
    await page.locator('#status[data-state="live"]').waitFor({ timeout: 5000 });
}

describe("the demo page in Chromium", () => {
    it("shows a message typed in one page in another within two seconds", async () => {
        const [alice, bob] = [await openDemo(`${server.url}/demo`), await openDemo(`${server.url}/demo`, phone)];
        await Promise.all([live(alice), live(bob)]);
        const text = "Hello from a laptop";
        const started = performance.now();
        await send(alice, text);
        await seesMessage(bob, text);
        const elapsed = performance.now() - started;
        console.log(`e2e: the message reached the other page in ${Math.round(elapsed)} ms`);
        await seesMessage(alice, text);
        await send(bob, "and hello back from a phone");
        await seesMessage(alice, "and hello back from a phone");
        await screenshot(alice, "demo");
        await screenshot(bob, "demo-phone");
    });

    it("works opened from disk (file://), talking to the server through CORS", async () => {
        const fromDisk = await openDemo(pathToFileURL(path.join(repoRoot, "examples/demo/index.html")).href);
        await fromDisk.fill("#server", server.url);
        await fromDisk.dispatchEvent("#server", "change");
        await live(fromDisk);
        const served = await openDemo(`${server.url}/demo`);
        await live(served);
        await send(fromDisk, "sent from a file:// page");
        await seesMessage(served, "sent from a file:// page");
        await send(served, "seen by the file:// page");
        await seesMessage(fromDisk, "seen by the file:// page");
        assert.equal(await fromDisk.textContent("#error"), "");
    });

    it("shows reconnecting while the server is away, and live again once it is back", async () => {
        const page = await openDemo(`${server.url}/demo`);
        await live(page);
        await server.stop();
        await page.locator('#status[data-state="reconnecting"]').waitFor({ timeout: 5000 });
        await server.restart();
        await live(page);
        await send(page, "after the restart");
        await seesMessage(page, "after the restart");
        // The server sends the room's history on each connection and the page starts again from it: nothing twice.
        const shown = await page.locator("#messages li").allTextContents();
        for (const text of ["Hello from a laptop", "after the restart"]) {
            assert.equal(shown.filter((line) => line.endsWith(text)).length, 1, `${text} in ${JSON.stringify(shown)}`);
        }
    });

    it("renders the static index.html", async () => {
        const page = await openDemo(`${server.url}/`);
        assert.equal(await page.locator("b").textContent(), "Hello world");
    });
});
