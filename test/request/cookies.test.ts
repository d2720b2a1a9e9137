import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CookieOptions } from "../../src/types.ts";
import { CookieJar, noSecretMessage } from "../../src/request/cookies.ts";

/** A Set-Cookie line as a browser reads it: the name and value before the first `;`, then the attributes. */
function browserParse(line: string): { name: string; value: string; attributes: Map<string, string> } {
    const [pair = "", ...rest] = line.split(";");
    const equals = pair.indexOf("=");
    const attributes = new Map<string, string>();
    for (const attribute of rest) {
        const [key = "", ...value] = attribute.trim().split("=");
        attributes.set(key.toLowerCase(), value.join("="));
    }
    return { name: pair.slice(0, equals).trim(), value: pair.slice(equals + 1).trim(), attributes };
}

/** The one line a jar sets, whether or not it had to sign it. */
async function onlyLine(jar: CookieJar): Promise<string> {
    const lines = await jar.setCookieLines();
    assert.equal(lines.length, 1, lines.join("\n"));
    return lines[0] ?? "";
}

/** What the browser sends back after this line: `name=value`. */
function sentBack(line: string): string {
    const { name, value } = browserParse(line);
    return `${name}=${value}`;
}

async function lineOf(name: string, value: string, options?: CookieOptions, secure = false, secrets: string[] = []): Promise<string> {
    const jar = new CookieJar(undefined, secrets, secure);
    jar.set(name, value, options);
    return onlyLine(jar);
}

const awkward = ["a;b", "a,b", " spaced ", '"quoted"', "é😀", "%41", "=", "", "a=b=c", "100%", "back\\slash", "tab\tnew\nline", "a.b.c"];
const secret = "a secret long enough for tests, 0123456789";
const otherSecret = "another secret, never the first one, 9876543210";

describe("cookies: reading the Cookie header", () => {
    it("reads several cookies, with or without spaces", () => {
        const jar = new CookieJar("a=1; b=two;c=3;  d = four  ", [], false);
        assert.deepEqual(["a", "b", "c", "d"].map((name) => jar.get(name)), ["1", "two", "3", "four"]);
        assert.equal(jar.get("e"), undefined);
    });

    it("skips malformed pairs without throwing", () => {
        const jar = new CookieJar("junk; =nameless; ;; a=1; b; =; c=", [], false);
        assert.equal(jar.get("a"), "1");
        assert.equal(jar.get("junk"), undefined);
        assert.equal(jar.get(""), undefined);
        assert.equal(jar.get("b"), undefined);
        assert.equal(jar.get("c"), "");
    });

    it("keeps the first of a repeated name (the most specific path comes first)", () => {
        assert.equal(new CookieJar("a=1; a=2; a=3", [], false).get("a"), "1");
    });

    it("unquotes quoted values, then decodes them", () => {
        const jar = new CookieJar('a="abc"; b="x%20y"; c="; d="""', [], false);
        assert.equal(jar.get("a"), "abc");
        assert.equal(jar.get("b"), "x y");
        assert.equal(jar.get("c"), '"');
        assert.equal(jar.get("d"), '"');
    });

    it("returns a value that is not percent-encoding as it was sent", () => {
        const jar = new CookieJar("a=100%; b=%E9; c=%zz; d=%41", [], false);
        assert.deepEqual(["a", "b", "c", "d"].map((name) => jar.get(name)), ["100%", "%E9", "%zz", "A"]);
    });

    it("has no cookies without a header", () => {
        assert.equal(new CookieJar(undefined, [], false).get("a"), undefined);
        assert.equal(new CookieJar("", [], false).get("a"), undefined);
    });

    it("does not confuse a cookie named like an Object member with the object's own", () => {
        const jar = new CookieJar("__proto__=x", [], false);
        assert.equal(jar.get("__proto__"), "x");
        assert.equal(jar.get("constructor"), undefined);
        assert.equal(jar.get("toString"), undefined);
    });
});

describe("cookies: setting", () => {
    it("round-trips any string through the browser", async () => {
        for (const value of awkward) {
            const line = await lineOf("awkward", value);
            assert.equal(new CookieJar(sentBack(line), [], false).get("awkward"), value, line);
        }
    });

    it("puts only cookie octets on the wire", async () => {
        for (const value of awkward) {
            const { value: wire } = browserParse(await lineOf("awkward", value));
            // RFC 6265 §4.1.1 cookie-octet: no control characters, whitespace, DQUOTE, comma, semicolon or backslash.
            assert.match(wire, /^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*$/, value);
        }
    });

    it("refuses a value that is not well-formed Unicode, rather than change it", () => {
        assert.throws(() => new CookieJar(undefined, [], false).set("a", "\ud800"), { name: "TypeError", message: /Cookie "a".*surrogate/ });
    });

    it("refuses a cookie browsers would drop for its size", () => {
        const jar = new CookieJar(undefined, [secret], false);
        jar.set("a", "x".repeat(4094));
        assert.throws(() => jar.set("a", "x".repeat(4095)), { name: "TypeError", message: /Cookie "a".*4096/ });
        assert.throws(() => jar.set("a", "é".repeat(700)), /4096/);
        assert.throws(() => jar.set("a", "x".repeat(4094), { signed: true }), /4096/);
    });

    it("has the safe defaults: Path=/, HttpOnly, SameSite=Lax; Secure only over HTTPS", async () => {
        assert.equal(await lineOf("a", "1"), "a=1; Path=/; HttpOnly; SameSite=Lax");
        assert.equal(await lineOf("a", "1", {}, true), "a=1; Path=/; HttpOnly; Secure; SameSite=Lax");
        assert.equal(await lineOf("a", "1", { secure: false }, true), "a=1; Path=/; HttpOnly; SameSite=Lax");
        assert.equal(await lineOf("a", "1", { secure: true }, false), "a=1; Path=/; HttpOnly; Secure; SameSite=Lax");
        assert.equal(await lineOf("a", "1", { httpOnly: false }), "a=1; Path=/; SameSite=Lax");
    });

    it("renders every option", async () => {
        const line = await lineOf("a", "1", {
            maxAge: 3600, expires: new Date(Date.UTC(2030, 0, 2, 3, 4, 5)), path: "/app", domain: "Example.com",
            secure: true, httpOnly: true, sameSite: "Strict", partitioned: true,
        });
        assert.equal(line, "a=1; Path=/app; Domain=Example.com; Max-Age=3600; Expires=Wed, 02 Jan 2030 03:04:05 GMT; HttpOnly; Secure; SameSite=Strict; Partitioned");
        assert.equal(await lineOf("a", "1", { maxAge: 0 }), "a=1; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
        assert.equal(await lineOf("a", "1", { domain: ".example.com" }), "a=1; Path=/; Domain=.example.com; HttpOnly; SameSite=Lax");
    });

    it("writes SameSite as the RFC spells it, whatever the case given", async () => {
        const lax = "lax" as CookieOptions["sameSite"];
        assert.equal(await lineOf("a", "1", { sameSite: lax }), "a=1; Path=/; HttpOnly; SameSite=Lax");
    });

    it("makes SameSite=None, Partitioned and __Secure-/__Host- cookies Secure, and refuses secure: false for them", async () => {
        assert.equal(await lineOf("a", "1", { sameSite: "None" }), "a=1; Path=/; HttpOnly; Secure; SameSite=None");
        assert.equal(await lineOf("a", "1", { partitioned: true }), "a=1; Path=/; HttpOnly; Secure; SameSite=Lax; Partitioned");
        assert.equal(await lineOf("__Secure-a", "1"), "__Secure-a=1; Path=/; HttpOnly; Secure; SameSite=Lax");
        assert.equal(await lineOf("__Host-a", "1"), "__Host-a=1; Path=/; HttpOnly; Secure; SameSite=Lax");
        const jar = new CookieJar(undefined, [], true);
        for (const options of [{ sameSite: "None" }, { partitioned: true }] as const) {
            assert.throws(() => jar.set("a", "1", { ...options, secure: false }), { name: "TypeError", message: /Cookie "a".*Secure/ });
        }
        assert.throws(() => jar.set("__Host-a", "1", { secure: false }), /__Host- prefix requires Secure/);
        assert.throws(() => jar.set("__secure-a", "1", { secure: false }), /__secure- prefix requires Secure/);
        assert.throws(() => jar.set("__Host-a", "1", { path: "/x" }), /__Host-.*Path=\//);
        assert.throws(() => jar.set("__Host-a", "1", { domain: "example.com" }), /__Host-.*Domain/);
        assert.equal(jar.changed, false);
    });

    it("refuses names that are not tokens, naming the cookie", () => {
        const jar = new CookieJar(undefined, [], false);
        for (const name of ["", "a b", "a;b", "a=b", "a,b", "é", 'a"b', "a\tb", "a(b)", "a/b", "a:b"]) {
            assert.throws(() => jar.set(name, "1"), (error: Error) => error instanceof TypeError && error.message.startsWith(`Cookie name ${JSON.stringify(name)} is not a token`), name);
        }
        jar.set("Aa0!#$%&'*+-.^_`|~", "1");
    });

    it("refuses domains, paths, ages, dates and SameSite values that would break the line or be ignored", () => {
        const jar = new CookieJar(undefined, [], false);
        const refused: CookieOptions[] = [
            ..."example.com; Secure|exa mple.com|example.com\n|a\u0000b|||-bad.com|bad-.com|a..b|.|é.com|example.com.".split("|").map((domain) => ({ domain })),
            ...["x", "", "/a;b", "/a\nb", "/a\u007f"].map((path) => ({ path })),
            ...[-1, 1.5, Number.NaN, Infinity].map((maxAge) => ({ maxAge })),
            { expires: new Date(Number.NaN) },
            { expires: "tomorrow" as unknown as Date },
            { sameSite: "Sometimes" as CookieOptions["sameSite"] },
        ];
        for (const options of refused) assert.throws(() => jar.set("a", "1", options), { name: "TypeError", message: /^Cookie "a": / }, JSON.stringify(options));
        assert.throws(() => jar.set("a", 1 as unknown as string), { name: "TypeError", message: /Cookie "a": its value must be a string/ });
        assert.equal(jar.changed, false);
    });

    it("deletes a cookie with Max-Age=0 and an Expires in the past, on the same path and domain defaults", async () => {
        const jar = new CookieJar("a=1", [], true);
        jar.delete("a");
        assert.equal(await onlyLine(jar), "a=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax");
        const scoped = new CookieJar(undefined, [], false);
        scoped.delete("a", { path: "/app", domain: "example.com" });
        assert.equal(await onlyLine(scoped), "a=; Path=/app; Domain=example.com; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax");
        const host = new CookieJar(undefined, [], false);
        host.delete("__Host-id");
        assert.match(await onlyLine(host), /; Secure;/);
    });

    it("keeps the last call for each (name, path, domain), in the order of the calls that won", async () => {
        const jar = new CookieJar(undefined, [], false);
        assert.equal(jar.changed, false);
        assert.deepEqual(jar.setCookieLines(), []);
        jar.set("a", "1");
        assert.equal(jar.changed, true);
        jar.set("b", "1");
        jar.set("a", "2");
        jar.set("a", "3", { path: "/x" });
        jar.set("a", "4", { domain: "example.com" });
        jar.set("a", "5", { domain: ".EXAMPLE.com" });
        jar.delete("b");
        const lines = jar.setCookieLines();
        assert.ok(Array.isArray(lines), "no signature: the lines come at once");
        assert.deepEqual(lines.map((line) => sentBack(line) + " " + (browserParse(line).attributes.get("path") ?? "")), ["a=2 /", "a=3 /x", "a=5 /", "b= /"]);
    });
});

describe("cookies: signed", () => {
    async function signedLine(name: string, value: string, secrets = [secret]): Promise<string> {
        return lineOf(name, value, { signed: true }, false, secrets);
    }

    async function readSigned(cookieHeader: string, name: string, secrets = [secret]): Promise<string | undefined> {
        return new CookieJar(cookieHeader, secrets, false).get(name, { signed: true });
    }

    it("round-trips any string, and puts `value.mac` on the wire", async () => {
        for (const value of awkward) {
            const line = await signedLine("s", value);
            assert.match(browserParse(line).value, /^[^;, "]*\.[A-Za-z0-9_-]{43}$/);
            assert.equal(await readSigned(sentBack(line), "s"), value, line);
        }
        const line = await signedLine("s", "a b");
        assert.match(line, /^s=a%20b\.[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax$/);
        // Without { signed: true } nothing is verified: the value as sent, signature included.
        assert.match(new CookieJar(sentBack(line), [secret], false).get("s") ?? "", /^a b\.[A-Za-z0-9_-]{43}$/);
    });

    it("reads a changed value, a changed or cut MAC, or garbage as absent, never as an exception", async () => {
        const wire = browserParse(await signedLine("s", "admin=false")).value;
        const dot = wire.lastIndexOf(".");
        const mac = wire.slice(dot + 1);
        const flip = (text: string, at: number) => text.slice(0, at) + (text[at] === "A" ? "B" : "A") + text.slice(at + 1);
        const forged = [
            `admin%3Dtrue.${mac}`, flip(wire, 0), flip(wire, wire.length - 1), flip(wire, dot + 1),
            wire.slice(0, -1), wire.slice(0, -2), wire.slice(0, dot), wire.slice(0, dot + 1), wire.slice(dot), `${wire}A`, `${wire}.`,
            "", ".", "..", `.${mac}`, "a.b", `x.${"=".repeat(43)}`, `x.${mac.replace(/[A-Za-z0-9]/, "+")}`, `x.${"%".repeat(43)}`, "%E9.%zz",
        ];
        for (const value of forged) assert.equal(await readSigned(`s=${value}`, "s"), undefined, value);
        assert.equal(await readSigned(`s=${wire}`, "s"), "admin=false");
        assert.equal(await readSigned("other=1", "s"), undefined);
    });

    it("accepts only the canonical spelling of a MAC (atob would ignore the last character's spare bits)", async () => {
        const wire = browserParse(await signedLine("s", "v")).value;
        const last = wire.at(-1) ?? "";
        const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        // 32 bytes are 256 bits: the 43rd character carries the last 4 and 2 spare ones, so 3 others decode alike.
        const index = alphabet.indexOf(last);
        const twins = [...alphabet].filter((_, i) => i >> 2 === index >> 2 && i !== index);
        assert.equal(twins.length, 3);
        for (const twin of twins) assert.equal(await readSigned(`s=${wire.slice(0, -1)}${twin}`, "s"), undefined, twin);
    });

    it("does not accept a signed value moved to another cookie", async () => {
        const role = browserParse(await signedLine("role", "admin")).value;
        const theme = browserParse(await signedLine("theme", "admin")).value;
        assert.notEqual(role, theme);
        assert.equal(await readSigned(`user=${role}`, "user"), undefined);
        assert.equal(await readSigned(`role=${theme}; theme=${role}`, "role"), undefined);
        assert.equal(await readSigned(`role=${theme}; theme=${role}`, "theme"), undefined);
    });

    it("does not accept a cookie signed with another secret", async () => {
        const foreign = sentBack(await signedLine("s", "v", [otherSecret]));
        assert.equal(await readSigned(foreign, "s", [secret]), undefined);
    });

    it("rotates secrets: the first signs, all verify", async () => {
        const old = sentBack(await signedLine("s", "old", [otherSecret]));
        assert.equal(await readSigned(old, "s", [secret, otherSecret]), "old");
        const renewed = sentBack(await signedLine("s", "new", [secret, otherSecret]));
        assert.equal(await readSigned(renewed, "s", [secret]), "new");
        assert.equal(await readSigned(renewed, "s", [otherSecret]), undefined);
    });

    it("signs among unsigned cookies and deletions, keeping their order", async () => {
        const jar = new CookieJar(undefined, [secret], false);
        jar.set("a", "1");
        jar.set("s", "2", { signed: true });
        jar.delete("b");
        const pending = jar.setCookieLines();
        assert.ok(pending instanceof Promise, "signing takes a promise");
        const lines = await pending;
        assert.deepEqual(lines.map((line) => browserParse(line).name), ["a", "s", "b"]);
        assert.equal(await readSigned(sentBack(lines[1] ?? ""), "s"), "2");
        jar.set("s", "3");
        assert.ok(Array.isArray(jar.setCookieLines()), "the unsigned set replaced the signed one");
    });

    it("refuses to read or sign without a secret, with a message naming where a secret comes from", async () => {
        assert.match(noSecretMessage, /`secret` option/);
        assert.match(noSecretMessage, /--secret-file/);
        assert.match(noSecretMessage, /\$VSHS_SECRET/);
        const signed = sentBack(await signedLine("s", "v"));
        const jar = new CookieJar(signed, [], false);
        await assert.rejects(jar.get("s", { signed: true }), { name: "Error", message: noSecretMessage });
        await assert.rejects(jar.get("absent", { signed: true }), { message: noSecretMessage });
        assert.match(jar.get("s") ?? "", /^v\./, "an unsigned read needs no secret");
        jar.set("s", "v", { signed: true });
        jar.set("a", "1");
        assert.equal(jar.changed, true);
        await assert.rejects(Promise.resolve(jar.setCookieLines()), { name: "Error", message: noSecretMessage });
    });

    it("puts no secret in what it throws", async () => {
        const jar = new CookieJar("s=v", [secret], false);
        const errors: unknown[] = [];
        for (const attempt of [() => jar.set("a b", "v", { signed: true }), () => jar.set("s", "\ud800", { signed: true }), () => jar.set("s", "v", { domain: ";" })]) {
            try {
                attempt();
            } catch (error) {
                errors.push(error);
            }
        }
        assert.equal(errors.length, 3);
        for (const error of errors) assert.ok(!String(error).includes(secret));
    });
});
