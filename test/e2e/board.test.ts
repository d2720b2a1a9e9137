/**
 * The whiteboard in a real browser: strokes drawn in one page appear in another as they are drawn,
 * over a WebSocket, through the "board" channel; a page that opens later gets the strokes so far.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { ExamplesServer, launchBrowser, screenshot } from "./browser.ts";

const server = await ExamplesServer.start();
const browser: Browser = await launchBrowser();

async function openBoard(): Promise<Page> {
    const page = await (await browser.newContext({ viewport: { width: 900, height: 800 } })).newPage();
    await page.goto(`${server.url}/board`);
    await page.locator("#status.live").waitFor({ timeout: 5000 });
    return page;
}

// Scripts of the page as strings: the tests are type-checked without the DOM's types.
const strokesDrawn = (page: Page) => page.evaluate("window.strokesDrawn") as Promise<number>;
const drawnAtLeast = (page: Page, count: number) => page.waitForFunction(`window.strokesDrawn >= ${count}`, undefined, { timeout: 5000 });

/** Draws a zigzag of `segments` moves on the page's canvas with the mouse. */
async function drawZigzag(page: Page, segments: number): Promise<void> {
    const box = (await page.locator("#board").boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.1, box.y + box.height * 0.5);
    await page.mouse.down();
    for (let n = 1; n <= segments; n++) await page.mouse.move(box.x + box.width * (0.1 + (0.8 * n) / segments), box.y + box.height * (n % 2 === 0 ? 0.3 : 0.7));
    await page.mouse.up();
}

describe("the whiteboard in Chromium", () => {
    it("shows the strokes drawn in one page in the other as they are drawn, and all of them to a page that opens later", async () => {
        const [drawer, watcher] = [await openBoard(), await openBoard()];
        await drawZigzag(drawer, 12);
        for (const page of [drawer, watcher]) await drawnAtLeast(page, 12);
        const drawn = await strokesDrawn(drawer);
        assert.equal(await strokesDrawn(watcher), drawn, "the same strokes on both pages");
        await drawZigzag(watcher, 6);
        await drawnAtLeast(drawer, drawn + 6);
        const late = await openBoard();
        await drawnAtLeast(late, drawn + 6);
        assert.equal(await strokesDrawn(late), await strokesDrawn(drawer), "a late page gets the strokes so far");
        // Pixels, not only counts: the late page's canvas is not blank.
        const inked = (await late.evaluate(`(() => {
            const canvas = document.getElementById("board");
            const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
            let count = 0;
            for (let index = 3; index < data.length; index += 4) if (data[index] > 0) count++;
            return count;
        })()`)) as number;
        assert.ok(inked > 1000, `${inked} inked pixels`);
        await screenshot(watcher, "board");
    });
});
