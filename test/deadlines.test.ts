import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Deadlines } from "../src/deadlines.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("Deadlines", () => {
    // Their timer does not keep a process alive (unref): this does, while the tests wait on it.
    let alive: ReturnType<typeof setInterval>;
    before(() => {
        alive = setInterval(() => {}, 1000);
    });
    after(() => clearInterval(alive));

    it("fires no sooner than the timeout, and within a quarter of it after", async () => {
        const deadlines = new Deadlines(200);
        const started = Date.now();
        const fired = await new Promise<number>((resolve) => deadlines.start(() => resolve(Date.now())));
        const waited = fired - started;
        assert.ok(waited >= 200, `fired after ${waited} ms`);
        assert.ok(waited <= 200 + 50 + 40, `fired after ${waited} ms`); // a quarter, and some room for a loaded machine
    });

    it("never fires a cancelled deadline, and says whether cancel() came in time", async () => {
        const deadlines = new Deadlines(40);
        const fired: string[] = [];
        const first = deadlines.start(() => fired.push("first"))!;
        const second = deadlines.start(() => fired.push("second"))!;
        const third = deadlines.start(() => fired.push("third"))!;
        assert.equal(second.cancel(), true);
        assert.equal(second.cancel(), false);
        await sleep(120);
        assert.deepEqual(fired, ["first", "third"]);
        assert.equal(first.cancel(), false);
        assert.equal(third.cancel(), false);
    });

    it("starts the wait again on touch(), leaving the others as they were", async () => {
        const deadlines = new Deadlines(150);
        const fired: string[] = [];
        const touched = deadlines.start(() => fired.push("touched"))!;
        deadlines.start(() => fired.push("untouched"));
        const keepTouching = setInterval(() => touched.touch(), 20);
        await sleep(400);
        assert.deepEqual(fired, ["untouched"]);
        clearInterval(keepTouching);
        await sleep(400);
        assert.deepEqual(fired, ["untouched", "touched"]);
    });

    it("keeps serving after every deadline has gone (its timer stops and starts again)", async () => {
        const deadlines = new Deadlines(30);
        for (let round = 0; round < 3; round++) {
            const fired = await new Promise<boolean>((resolve) => deadlines.start(() => resolve(true)));
            assert.equal(fired, true);
            await sleep(80);
        }
    });

    it("does not fire early a deadline started while the event loop was blocked (the timer late)", async () => {
        const deadlines = new Deadlines(200);
        deadlines.start(() => {}); // starts the timer and its clock
        const blockedUntil = Date.now() + 300; // a synchronous handler holding the event loop
        while (Date.now() < blockedUntil);
        const started = Date.now();
        const fired = await new Promise<number>((resolve) => deadlines.start(() => resolve(Date.now())));
        const waited = fired - started;
        assert.ok(waited >= 200, `fired after ${waited} ms`);
        assert.ok(waited <= 200 + 50 + 40, `fired after ${waited} ms`);
    });

    it("does not fire at once a deadline started or touched by another's onExpire", async () => {
        const deadlines = new Deadlines(100);
        const started = Date.now();
        let touched: ReturnType<Deadlines["start"]> = null;
        const fired = new Promise<number>((resolve) => {
            touched = deadlines.start(() => resolve(Date.now()));
            deadlines.start(() => {
                touched!.touch(); // the only deadline left, with a stamp from before
                deadlines.start(() => {});
            });
            // `touched` is older than the one that touches it: move it behind, so that it is touched while last
            touched!.touch();
        });
        const waited = (await fired) - started;
        assert.ok(waited >= 200, `fired after ${waited} ms, not a timeout after its touch`);
    });

    it("has no deadline with a timeout of 0", () => {
        assert.equal(new Deadlines(0).start(() => assert.fail("fired")), null);
    });
});
