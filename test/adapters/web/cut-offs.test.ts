import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CutOffs } from "../../../dist/adapters/web/cut-offs.js";

describe("CutOffs", () => {
    it("cuts what is still registered, each once, in any order of removal", () => {
        const cutOffs = new CutOffs();
        const cut: string[] = [];
        const entries = ["a", "b", "c", "d"].map((name) => cutOffs.add(() => cut.push(name)));
        assert.equal(cutOffs.remove(entries[1]!), true);
        assert.equal(cutOffs.remove(entries[3]!), true, "the newest");
        assert.equal(cutOffs.remove(entries[3]!), false, "removed twice");
        cutOffs.cutAll();
        assert.deepEqual(cut.sort(), ["a", "c"]);
        assert.equal(cutOffs.remove(entries[0]!), false, "already cut");
        cutOffs.cutAll();
        assert.deepEqual(cut, ["a", "c"]);
    });

    it("takes new entries after a cut, and a list emptied by removals cuts nothing", () => {
        const cutOffs = new CutOffs();
        let cuts = 0;
        const only = cutOffs.add(() => cuts++);
        assert.equal(cutOffs.remove(only), true);
        cutOffs.cutAll();
        assert.equal(cuts, 0);
        cutOffs.add(() => cuts++);
        cutOffs.cutAll();
        assert.equal(cuts, 1);
    });
});
