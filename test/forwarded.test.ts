import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { AnswerSource, Incoming } from "../src/contract.ts";
import { createServerAdapter } from "../src/adapters/create-adapter.ts";
import { addressOf, ipBehindProxies, secureBehindProxies } from "../src/forwarded.ts";
import { limitDefaults } from "../src/limits.ts";
import { runtime } from "../src/runtime.ts";
import { serve } from "./helpers/server.ts";

/** A header reader over these headers, counting what was read. */
function headers(values: Record<string, string> = {}) {
    const read: string[] = [];
    const reader = (name: string) => (read.push(name), values[name]);
    return Object.assign(reader, { read });
}

const peer = "10.0.0.1";

describe("ipBehindProxies", () => {
    it("is the socket's peer, whatever the client sends, when no proxy is trusted; no header is even read", () => {
        const sent = headers({ "x-forwarded-for": "6.6.6.6", forwarded: "for=6.6.6.6" });
        assert.equal(ipBehindProxies(peer, 0, sent), peer);
        assert.deepEqual(sent.read, []);
    });

    it("is the address N hops back from the right with N trusted proxies: what the client prepends is ignored", () => {
        assert.equal(ipBehindProxies(peer, 1, headers({ "x-forwarded-for": "203.0.113.7" })), "203.0.113.7");
        assert.equal(ipBehindProxies(peer, 1, headers({ "x-forwarded-for": "6.6.6.6, 203.0.113.7" })), "203.0.113.7");
        assert.equal(ipBehindProxies(peer, 2, headers({ "x-forwarded-for": "6.6.6.6,203.0.113.7, 10.0.0.2" })), "203.0.113.7");
        assert.equal(ipBehindProxies(peer, 3, headers({ "x-forwarded-for": "6.6.6.6, 203.0.113.7, 10.0.0.2" })), "6.6.6.6");
    });

    it("takes the leftmost address when the chain is shorter than the proxies trusted, and the peer without a header", () => {
        assert.equal(ipBehindProxies(peer, 3, headers({ "x-forwarded-for": "203.0.113.7" })), "203.0.113.7");
        assert.equal(ipBehindProxies(peer, 1, headers()), peer);
        assert.equal(ipBehindProxies(peer, 1, headers({ "x-forwarded-for": "" })), peer);
    });

    it("reads ports and brackets off the addresses proxies write", () => {
        assert.equal(ipBehindProxies(peer, 1, headers({ "x-forwarded-for": "[2001:db8::1]:443" })), "2001:db8::1");
        assert.equal(ipBehindProxies(peer, 1, headers({ "x-forwarded-for": "2001:db8::2" })), "2001:db8::2");
        assert.equal(ipBehindProxies(peer, 1, headers({ "x-forwarded-for": "198.51.100.4:5678" })), "198.51.100.4");
    });

    it("falls back to the nearest known address on the right of a hidden or unreadable one", () => {
        assert.equal(ipBehindProxies(peer, 1, headers({ "x-forwarded-for": "unknown" })), peer);
        assert.equal(ipBehindProxies(peer, 2, headers({ "x-forwarded-for": "not an address, 198.51.100.17" })), "198.51.100.17");
        assert.equal(ipBehindProxies(peer, 2, headers({ "x-forwarded-for": "unknown, 198.51.100.17" })), "198.51.100.17");
        assert.equal(ipBehindProxies(peer, 1, headers({ "x-forwarded-for": "_gazonk" })), peer);
    });

    it("does not read RFC 7239's Forwarded: a proxy that does not set it passes the client's through", () => {
        assert.equal(ipBehindProxies(peer, 1, headers({ forwarded: "for=6.6.6.6" })), peer);
        assert.equal(ipBehindProxies(peer, 1, headers({ forwarded: "for=6.6.6.6", "x-forwarded-for": "198.51.100.9" })), "198.51.100.9");
    });
});

describe("addressOf", () => {
    it("accepts IPv4 and IPv6, with a port, and nothing else", () => {
        assert.equal(addressOf("192.0.2.1"), "192.0.2.1");
        assert.equal(addressOf("192.0.2.1:80"), "192.0.2.1");
        assert.equal(addressOf("[::1]:80"), "::1");
        assert.equal(addressOf("[::1"), undefined);
        assert.equal(addressOf("_hidden"), undefined);
        assert.equal(addressOf("unknown"), undefined);
        assert.equal(addressOf("example.com"), undefined);
        assert.equal(addressOf("999.0.0.1"), undefined);
    });
});

describe("secureBehindProxies", () => {
    it("says nothing, reading nothing, when no proxy is trusted", () => {
        const sent = headers({ "x-forwarded-proto": "https" });
        assert.equal(secureBehindProxies(0, sent), undefined);
        assert.deepEqual(sent.read, []);
    });

    it("reads the scheme the outermost trusted proxy received", () => {
        assert.equal(secureBehindProxies(1, headers({ "x-forwarded-proto": "https" })), true);
        assert.equal(secureBehindProxies(1, headers({ "x-forwarded-proto": "HTTPS" })), true);
        assert.equal(secureBehindProxies(1, headers({ "x-forwarded-proto": "http" })), false);
        assert.equal(secureBehindProxies(1, headers({ "x-forwarded-proto": "https, http" })), false);
        assert.equal(secureBehindProxies(2, headers({ "x-forwarded-proto": "https, http" })), true);
        assert.equal(secureBehindProxies(1, headers()), undefined);
    });

    it("does not read Forwarded's proto", () => {
        assert.equal(secureBehindProxies(1, headers({ forwarded: "for=192.0.2.1;proto=https" })), undefined);
        assert.equal(secureBehindProxies(1, headers({ forwarded: "proto=http", "x-forwarded-proto": "https" })), true);
    });
});

/** This runtime's adapter answering each request with what its Incoming says of the client. */
async function adapterServer(trustProxy: number): Promise<string> {
    const answers: AnswerSource = {
        answer: (incoming: Incoming, deliver) => deliver({ kind: "bytes", status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify({ ip: incoming.info.ip, secure: incoming.secure }) }),
        failureMessage: (error) => String(error),
    };
    const adapter = await createServerAdapter(runtime, { answers, logError: console.error, accessLog: null, limits: limitDefaults, trustProxy, perMessageDeflate: false, tls: null });
    const port = await adapter.listen(0, "127.0.0.1");
    after(() => adapter.stop());
    return `http://127.0.0.1:${port}`;
}

describe(`the ${runtime} adapter's client address and scheme`, () => {
    const spoof = { "x-forwarded-for": "6.6.6.6", "x-forwarded-proto": "https", forwarded: "for=7.7.7.7;proto=https" };

    it("ignores what the client sends without trustProxy", async () => {
        const url = await adapterServer(0);
        assert.deepEqual(await (await fetch(url, { headers: spoof })).json(), { ip: "127.0.0.1", secure: false });
    });

    it("believes the trusted proxies with trustProxy", async () => {
        const url = await adapterServer(1);
        assert.deepEqual(await (await fetch(url, { headers: spoof })).json(), { ip: "6.6.6.6", secure: true });
        const viaXff = await fetch(url, { headers: { "x-forwarded-for": "6.6.6.6, 203.0.113.7", "x-forwarded-proto": "http" } });
        assert.deepEqual(await viaXff.json(), { ip: "203.0.113.7", secure: false });
        assert.deepEqual(await (await fetch(url)).json(), { ip: "127.0.0.1", secure: false });
    });
});

describe("request.ip through startHTTPServer", () => {
    it("is the socket's peer by default, and the trusted proxy's word with trustProxy", async () => {
        const routes = { "/ip/GET": ({ request }: { request: { ip: string } }) => request.ip };
        const plain = await serve({ routes });
        const proxied = await serve({ routes, trustProxy: 1 });
        const sent = { headers: { "x-forwarded-for": "6.6.6.6, 203.0.113.7" } };
        assert.equal(await (await plain.fetch("/ip", sent)).text(), "127.0.0.1");
        assert.equal(await (await proxied.fetch("/ip", sent)).text(), "203.0.113.7");
    });
});

describe("the handler's url through startHTTPServer", () => {
    it("is https: over HTTPS, here as a trusted proxy says (X-Forwarded-Proto), and http: otherwise", async () => {
        const routes = { "/url/GET": ({ url }: { url: URL }) => url.href };
        const plain = await serve({ routes });
        const proxied = await serve({ routes, trustProxy: 1 });
        const sent = { headers: { "x-forwarded-proto": "https" } };
        assert.match(await (await plain.fetch("/url", sent)).text(), /^http:\/\/127\.0\.0\.1:\d+\/url$/);
        assert.match(await (await proxied.fetch("/url", sent)).text(), /^https:\/\/127\.0\.0\.1:\d+\/url$/);
    });
});
