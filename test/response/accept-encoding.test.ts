/**
 * Accept-Encoding negotiation (RFC 9110 §12.5.3): the client's q-values first, the server's order for
 * ties, `q=0` and `*;q=0` as refusals, identity (null) whenever nothing offered is acceptable or the
 * header cannot be read.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { preferredEncoding } from "../../src/response/accept-encoding.ts";
import type { Encoding } from "../../src/types.ts";

const all: Encoding[] = ["br", "zstd", "gzip"];
const choose = (header: string | undefined, offered: Encoding[] = all) => preferredEncoding(header, offered);

describe("preferredEncoding", () => {
    it("takes the server's first choice among codings the client lists without weights", () => {
        assert.equal(choose("gzip, deflate, br"), "br");
        assert.equal(choose("gzip, deflate, br, zstd"), "br");
        assert.equal(choose("gzip, zstd"), "zstd");
        assert.equal(choose("gzip"), "gzip");
        assert.equal(choose("gzip, deflate, br", ["gzip", "br"]), "gzip");
    });

    it("lets the client's q-values decide before the server's order", () => {
        assert.equal(choose("br;q=0.5, gzip"), "gzip");
        assert.equal(choose("br;q=0.5, gzip;q=0.6"), "gzip");
        assert.equal(choose("gzip;q=0.001, br;q=0.002"), "br");
        assert.equal(choose("br;q=1.000, gzip;q=1"), "br");
    });

    it("breaks a tie of q-values by the server's order", () => {
        assert.equal(choose("gzip;q=0.5, br;q=0.5"), "br");
        assert.equal(choose("gzip;q=0.5, br;q=0.5", ["gzip", "br"]), "gzip");
    });

    it("takes q=0 as a refusal", () => {
        assert.equal(choose("br;q=0, gzip"), "gzip");
        assert.equal(choose("br;q=0"), null);
        assert.equal(choose("gzip;q=0.000, br;q=0.0"), null);
    });

    it("answers identity to a client that asks only for it, or for codings not offered", () => {
        assert.equal(choose("identity"), null);
        assert.equal(choose("identity;q=1, gzip;q=0"), null);
        assert.equal(choose("deflate, x-gzip, compress"), null);
        assert.equal(choose("br", ["gzip"]), null);
        assert.equal(choose("gzip, br", []), null);
    });

    it("sends identity even to a client that refuses it, when nothing else is acceptable", () => {
        assert.equal(choose("identity;q=0"), null);
        assert.equal(choose("identity;q=0, gzip"), "gzip");
    });

    it("reads * as every coding the header does not name", () => {
        assert.equal(choose("*"), "br");
        assert.equal(choose("br;q=0, *"), "zstd");
        assert.equal(choose("br;q=0, zstd;q=0, *;q=0.1"), "gzip");
        assert.equal(choose("*;q=0.5, gzip"), "gzip");
    });

    it("refuses every coding for *;q=0, except those named with a weight", () => {
        assert.equal(choose("*;q=0"), null);
        assert.equal(choose("*;q=0, gzip"), "gzip");
        assert.equal(choose("gzip, *;q=0"), "gzip");
    });

    it("answers identity without a header, or with an empty one", () => {
        assert.equal(choose(undefined), null);
        assert.equal(choose(""), null);
        assert.equal(choose(" , "), null);
    });

    it("ignores case, spaces around names and weights, and empty list items", () => {
        assert.equal(choose("GZIP"), "gzip");
        assert.equal(choose("  br ;  Q = 0.5 ,gzip;q=0.4"), "br");
        assert.equal(choose("gzip, , br,"), "br");
    });

    it("keeps the highest weight of a coding named twice", () => {
        assert.equal(choose("br;q=0, br;q=0.8, gzip;q=0.5"), "br");
        assert.equal(choose("br;q=0.8, br;q=0, gzip;q=0.5"), "br");
    });

    for (const header of ["gzip;q=2", "gzip;q=abc", "gzip;q=", "gzip;q=0.1234", "gzip;q=-1", "gzip;level=9", "gz ip", "br, ;q=1", "gzip;", "(br)", "br\u00e9", 'br;q="1"']) {
        it(`answers identity to a header that does not parse: ${JSON.stringify(header)}`, () => {
            assert.equal(choose(header), null);
        });
    }
});
