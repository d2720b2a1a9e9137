import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { addressKey, keptKey } from "../../src/rate-limit/keys.ts";
import { countRequest, LocalStore, type Verdict, type WindowCount } from "../../src/rate-limit/sliding-window.ts";

const second = 1000;

/** Hits at `now` until refused (at most `most`): how many were allowed, and the refusal. */
function hitUntilRefused(count: WindowCount, max: number, now: number, most = 1000): { allowed: number; refusal: Verdict } {
    for (let allowed = 0; allowed < most; allowed++) {
        const verdict = countRequest(count, second, max, now);
        if (!verdict.allowed) return { allowed, refusal: verdict };
    }
    throw new Error(`still allowed after ${most}`);
}

function retryAfter(verdict: Verdict): number {
    assert.equal(verdict.allowed, false);
    return (verdict as { retryAfterMs: number }).retryAfterMs;
}

describe("countRequest, the sliding-window counter", () => {
    it("allows max in a fresh window, then refuses until the window's end", () => {
        const count = { index: 0, current: 0, previous: 0 };
        const { allowed, refusal } = hitUntilRefused(count, 10, 50 * second + 300);
        assert.equal(allowed, 10);
        assert.equal(retryAfter(refusal), 701, "from the first ms of the next window");
        assert.equal(countRequest(count, second, 10, 51 * second).allowed, false, "the next window's start still counts this one's in full");
        assert.equal(countRequest(count, second, 10, 51 * second + 1).allowed, true);
    });

    it("weighs the end of the previous window: no second burst of max just after a boundary", () => {
        const count = { index: 0, current: 0, previous: 0 };
        assert.equal(hitUntilRefused(count, 10, 50 * second + 990).allowed, 10);
        const justAfter = 51 * second + 10;
        const { allowed, refusal } = hitUntilRefused(count, 10, justAfter);
        assert.equal(allowed, 1, "the previous window still counts for 99%");
        const wait = retryAfter(refusal);
        assert.ok(wait > 0 && wait < second, `${wait} ms`);
        assert.equal(countRequest(count, second, 10, justAfter + wait - 2).allowed, false, "not before the time it gave");
        assert.equal(countRequest(count, second, 10, justAfter + wait).allowed, true, "from the time it gave");
    });

    it("lets the rate through: after a half window, about half the previous count is free again", () => {
        const count = { index: 0, current: 0, previous: 0 };
        hitUntilRefused(count, 10, 50 * second);
        assert.equal(hitUntilRefused(count, 10, 51 * second + 500).allowed, 5);
    });

    it("forgets everything after two windows, and counts no refused request", () => {
        const count = { index: 0, current: 0, previous: 0 };
        hitUntilRefused(count, 3, 50 * second);
        for (let n = 0; n < 100; n++) countRequest(count, second, 3, 50 * second + 500);
        assert.equal(count.current, 3, "refusals not counted");
        assert.equal(hitUntilRefused(count, 3, 52 * second).allowed, 3);
    });
});

describe("LocalStore", () => {
    it("keeps each namespace's counts apart", () => {
        const store = new LocalStore(10, () => 5 * second);
        const a = { namespace: "a", window: second, max: 1 };
        const b = { namespace: "b", window: second, max: 1 };
        assert.equal(store.hit(a, "client").allowed, true);
        assert.equal(store.hit(a, "client").allowed, false);
        assert.equal(store.hit(b, "client").allowed, true);
        assert.equal(store.hit(a, "other").allowed, true);
    });

    it("keeps at most keysKept keys, forgetting the least recently seen", () => {
        const store = new LocalStore(100, () => 5 * second);
        const limit = { namespace: "n", window: 60 * second, max: 1 };
        store.hit(limit, "first");
        for (let n = 0; n < 1000; n++) {
            store.hit(limit, `key-${n}`);
            if (n % 50 === 0) store.hit(limit, "first"); // seen again: kept
        }
        assert.equal(store.keptKeys(), 100);
        assert.equal(store.hit(limit, "first").allowed, false, "the key seen recently is still counted");
        assert.equal(store.hit(limit, "key-0").allowed, true, "a key not seen since is forgotten");
    });

    it("lets go of the counts of keys not seen for two windows, as other keys are hit", () => {
        let now = 5 * second;
        const store = new LocalStore(1000, () => now);
        const limit = { namespace: "n", window: second, max: 5 };
        for (let n = 0; n < 50; n++) store.hit(limit, `old-${n}`);
        assert.equal(store.keptKeys(), 50);
        now += 2 * second;
        for (let n = 0; n < 30; n++) store.hit(limit, `new-${n}`);
        assert.equal(store.keptKeys(), 30);
    });
});

describe("the default key", () => {
    it("is an IPv4 address as it is, and an IPv6 one as its /64 network", () => {
        assert.equal(addressKey("192.0.2.1"), "192.0.2.1");
        assert.equal(addressKey("::ffff:127.0.0.1"), "127.0.0.1");
        assert.equal(addressKey("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
        assert.equal(addressKey("2001:0DB8:0001:0002:ffff::1"), "2001:db8:1:2::/64");
        assert.equal(addressKey("2001:db8::1"), "2001:db8:0:0::/64");
        assert.equal(addressKey("::1"), "0:0:0:0::/64");
        assert.equal(addressKey("fe80::1%eth0"), "fe80:0:0:0::/64");
        assert.equal(addressKey("64:ff9b::192.0.2.33"), "64:ff9b:0:0::/64");
        assert.equal(addressKey(""), "");
        assert.equal(addressKey("not:an:address"), "not:an:address");
    });

    it("is kept as its hash when long, so that what a store keeps per key stays small", () => {
        const long = "k".repeat(10_000);
        assert.equal(keptKey("short"), "short");
        assert.equal(keptKey(long), keptKey(long));
        assert.notEqual(keptKey(long), keptKey(long + "!"));
        assert.ok(keptKey(long).length < 64);
    });
});
