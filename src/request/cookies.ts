import type { CookieOptions, Cookies } from "../types.ts";

/** The message of the Error thrown when a signed cookie is asked for with no secret: it names the option, --secret-file and $VSHS_SECRET. */
export const noSecretMessage =
    "A signed cookie needs a secret and none is configured: give the `secret` option, --secret-file FILE, or set $VSHS_SECRET";

/** What set() or delete() leaves for the answer: `encoded` is the wire value before its signature, made only when the lines are asked for. */
type Outgoing = { name: string; encoded: string; attributes: string; signed: boolean };

// RFC 6265 §4.1.1: a cookie name is an RFC 7230 token.
const token = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Letters, digits and hyphens between dots (IDNs in their xn-- form), an optional leading dot, which browsers ignore.
const domainName = /^\.?[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/i;
const controlOrSemicolon = /[\u0000-\u001f\u007f;]/;
const securePrefix = /^__(?:Secure|Host)-/i;
// 32 bytes of HMAC-SHA-256 in base64url without padding: 43 characters.
const macShape = /^[A-Za-z0-9_-]{43}$/;
// Browsers drop a cookie whose name and value together pass 4096 bytes (RFC 6265 §6.1 asks for at least that).
const maxCookieSize = 4096;
const encoder = new TextEncoder();

/** The request's cookies and what the answer sets; one per request, made only when a handler asks for `cookies`. */
export class CookieJar implements Cookies {
    readonly #header: string | undefined;
    readonly #secrets: readonly string[];
    readonly #secure: boolean;
    #received: Map<string, string> | undefined;
    // Keyed by (name, path, domain), the identity of a cookie in the browser: the last call for one wins.
    readonly #outgoing = new Map<string, Outgoing>();

    /** `cookieHeader`: the request's Cookie header; `secrets`: the first signs, all verify (empty: none configured); `secure`: the request came over HTTPS. */
    constructor(cookieHeader: string | undefined, secrets: readonly string[], secure: boolean) {
        this.#header = cookieHeader;
        this.#secrets = secrets;
        this.#secure = secure;
    }

    /** A cookie's value, percent-decoded. Without `{ signed: true }` nothing is verified: a signed cookie reads as sent, `value.signature`. */
    get(name: string): string | undefined;
    get(name: string, options: { signed: true }): Promise<string | undefined>;
    get(name: string, options?: { signed?: boolean }): string | undefined | Promise<string | undefined> {
        // Parsed on first use: most requests that ask for `cookies` read one or two, or only set.
        this.#received ??= parseCookieHeader(this.#header);
        const raw = this.#received.get(name);
        if (options?.signed === true) return this.#verified(name, raw);
        return raw === undefined ? undefined : decodeValue(raw);
    }

    set(name: string, value: string, options: CookieOptions = {}): void {
        if (typeof name !== "string" || !token.test(name)) throw new TypeError(`Cookie name ${JSON.stringify(name)} is not a token (letters, digits and !#$%&'*+-.^_\`|~ only)`);
        if (typeof value !== "string") refuse(name, `its value must be a string, not ${typeof value}`);
        const encoded = encodeValue(name, value);
        const signed = options.signed === true;
        const size = name.length + 1 + encoded.length + (signed ? 44 : 0);
        if (size > maxCookieSize) refuse(name, `it is ${size} bytes encoded; browsers drop cookies over ${maxCookieSize}`);
        const attributes = attributesOf(name, options, this.#secure);
        const key = `${name};${options.path ?? "/"};${(options.domain ?? "").replace(/^\./, "").toLowerCase()}`;
        // Deleted first so that the lines come in the order of the calls that won.
        this.#outgoing.delete(key);
        this.#outgoing.set(key, { name, encoded, attributes, signed });
    }

    delete(name: string, options: Pick<CookieOptions, "path" | "domain"> = {}): void {
        // Both: Max-Age for today's browsers, Expires for those before it.
        this.set(name, "", { path: options.path, domain: options.domain, maxAge: 0, expires: new Date(0) });
    }

    /** Whether set() or delete() was called (the pipeline's cheap check on every answer). */
    get changed(): boolean {
        return this.#outgoing.size > 0;
    }

    /** The Set-Cookie lines of what set() and delete() did, in order, the last call for a (name, path, domain) winning; a promise while signatures are being made. Rejects/throws with the error of a set() that could not be done (no secret). */
    setCookieLines(): string[] | Promise<string[]> {
        const entries = [...this.#outgoing.values()];
        if (!entries.some((entry) => entry.signed)) return entries.map((entry) => `${entry.name}=${entry.encoded}${entry.attributes}`);
        return Promise.all(entries.map(async (entry) => {
            const value = entry.signed ? await sign(this.#secrets, entry.name, entry.encoded) : entry.encoded;
            return `${entry.name}=${value}${entry.attributes}`;
        }));
    }

    async #verified(name: string, raw: string | undefined): Promise<string | undefined> {
        // Refused even when the cookie is absent, so that a missing secret shows on the first request, not the first login.
        if (this.#secrets.length === 0) throw new Error(noSecretMessage);
        return raw === undefined ? undefined : verify(this.#secrets, name, raw);
    }
}

/** `a=1; b="2"` → a map of raw (still encoded) values; a pair without `=` or a name is skipped, the first of a name wins. */
function parseCookieHeader(header: string | undefined): Map<string, string> {
    const cookies = new Map<string, string>();
    if (header === undefined) return cookies;
    for (const pair of header.split(";")) {
        const equals = pair.indexOf("=");
        if (equals === -1) continue;
        const name = pair.slice(0, equals).trim();
        // RFC 6265 §5.4: browsers send the cookies of more specific paths first, so the first is the one meant.
        if (name === "" || cookies.has(name)) continue;
        cookies.set(name, unquote(pair.slice(equals + 1).trim()));
    }
    return cookies;
}

/** RFC 6265 allows a value in double quotes; the quotes are not part of it. */
function unquote(value: string): string {
    return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}

// encodeURIComponent leaves only letters, digits and `-_.!~*'()`, all cookie octets: `;`, `,`, spaces,
// quotes, `%`, `=` and non-ASCII text all survive the trip to the browser and back.
function encodeValue(name: string, value: string): string {
    try {
        return encodeURIComponent(value);
    } catch {
        // A lone surrogate has no UTF-8 form: refused rather than silently changed, so that what is read back is what was set.
        refuse(name, "its value is not well-formed Unicode (a lone surrogate)");
    }
}

/** A value set by another program may not be percent-encoding at all (`100%`): then it is returned as sent. */
function decodeValue(raw: string): string {
    if (!raw.includes("%")) return raw;
    try {
        return decodeURIComponent(raw);
    } catch {
        return raw;
    }
}

/** A TypeError naming the cookie: set() is refused at once, where the mistake is made. */
function refuse(name: string, why: string): never {
    throw new TypeError(`Cookie "${name}": ${why}`);
}

/** The attributes after `name=value`, the safe defaults filling what the options leave unset. */
function attributesOf(name: string, options: CookieOptions, requestSecure: boolean): string {
    const { path = "/", domain, maxAge, expires } = options;
    const sameSite = sameSiteOf(name, options.sameSite);
    const secure = secureOf(name, options, sameSite, requestSecure);
    // A path not starting with "/" is silently replaced by the browser; `;` would start another attribute.
    if (!path.startsWith("/") || controlOrSemicolon.test(path)) refuse(name, `path ${JSON.stringify(path)} must start with "/" and hold no ";" or control character`);
    if (domain !== undefined && (typeof domain !== "string" || !domainName.test(domain))) refuse(name, `domain ${JSON.stringify(domain)} is not a domain name`);
    if (/^__Host-/i.test(name) && (path !== "/" || domain !== undefined)) refuse(name, "a __Host- cookie must have Path=/ and no Domain, or browsers drop it");
    if (maxAge !== undefined && (!Number.isSafeInteger(maxAge) || maxAge < 0)) refuse(name, `maxAge must be a whole number of seconds, 0 or more, not ${String(maxAge)}`);
    if (expires !== undefined && (!(expires instanceof Date) || Number.isNaN(expires.getTime()))) refuse(name, "expires must be a valid Date");
    let text = `; Path=${path}`;
    if (domain !== undefined) text += `; Domain=${domain}`;
    if (maxAge !== undefined) text += `; Max-Age=${maxAge}`;
    // toUTCString is specified to give the IMF-fixdate form: `Thu, 01 Jan 1970 00:00:00 GMT`.
    if (expires !== undefined) text += `; Expires=${expires.toUTCString()}`;
    if (options.httpOnly !== false) text += "; HttpOnly";
    if (secure) text += "; Secure";
    text += `; SameSite=${sameSite}`;
    if (options.partitioned === true) text += "; Partitioned";
    return text;
}

/** "Lax" unless asked otherwise; any case accepted (JavaScript callers write "none"), written as the RFC spells it. */
function sameSiteOf(name: string, sameSite: string | undefined): "Strict" | "Lax" | "None" {
    const spelled = { strict: "Strict", lax: "Lax", none: "None" } as const;
    if (sameSite === undefined) return "Lax";
    const found = typeof sameSite === "string" ? spelled[sameSite.toLowerCase() as keyof typeof spelled] : undefined;
    return found ?? refuse(name, `sameSite must be "Strict", "Lax" or "None", not ${JSON.stringify(sameSite)}`);
}

// Browsers drop a cookie with SameSite=None, Partitioned or a __Secure-/__Host- name unless it is Secure.
// Left unset, Secure is then forced, as modern frameworks do: who asks for a cross-site cookie means it to
// work (browsers accept Secure cookies from http://localhost). An explicit `secure: false` contradicts it
// and is refused, rather than sent to be dropped without a word.
function secureOf(name: string, options: CookieOptions, sameSite: string, requestSecure: boolean): boolean {
    const needs = sameSite === "None" ? "SameSite=None"
        : options.partitioned === true ? "Partitioned"
        : securePrefix.test(name) ? `the ${name.slice(0, name.indexOf("-") + 1)} prefix`
        : undefined;
    if (needs === undefined) return options.secure ?? requestSecure;
    return options.secure !== false || refuse(name, `${needs} requires Secure, and secure is false; browsers would drop it`);
}

// Web Crypto's key type, named without a DOM lib or a runtime-specific import.
type HmacKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;
// One key per secret for the life of the process: importing is far dearer than signing.
const keys = new Map<string, Promise<HmacKey>>();

function keyOf(secret: string): Promise<HmacKey> {
    const key = keys.get(secret) ?? crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    keys.set(secret, key);
    return key;
}

/** The MAC covers the name too (`name=value`, unambiguous as a name holds no `=`), so a signed value cannot be moved to another cookie. */
function signedData(name: string, encoded: string) {
    return encoder.encode(`${name}=${encoded}`);
}

/** `encoded.mac`: the value as it goes on the wire, signed with the first secret. */
async function sign(secrets: readonly string[], name: string, encoded: string): Promise<string> {
    const secret = secrets[0];
    if (secret === undefined) throw new Error(noSecretMessage);
    const mac = await crypto.subtle.sign("HMAC", await keyOf(secret), signedData(name, encoded));
    return `${encoded}.${toBase64url(new Uint8Array(mac))}`;
}

/** The value of a signed cookie whose MAC one of the secrets made; undefined for anything else, never a throw. */
async function verify(secrets: readonly string[], name: string, raw: string): Promise<string | undefined> {
    // The last dot: base64url has none, while an encoded value may.
    const dot = raw.lastIndexOf(".");
    if (dot === -1) return undefined;
    const encoded = raw.slice(0, dot);
    const mac = fromBase64url(raw.slice(dot + 1));
    if (mac === undefined) return undefined;
    const data = signedData(name, encoded);
    for (const secret of secrets) {
        // subtle.verify compares in constant time: the time taken tells nothing of the right MAC.
        if (await crypto.subtle.verify("HMAC", await keyOf(secret), mac, data)) return decodeValue(encoded);
    }
    return undefined;
}

function toBase64url(bytes: Uint8Array): string {
    return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The 32 bytes of a MAC, or undefined if the text is not their one canonical base64url spelling. */
function fromBase64url(text: string) {
    if (!macShape.test(text)) return undefined;
    const binary = atob(`${text.replace(/-/g, "+").replace(/_/g, "/")}=`);
    const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
    // atob ignores the unused low bits of the last character: accepting only the canonical form gives each MAC one spelling.
    return toBase64url(bytes) === text ? bytes : undefined;
}
