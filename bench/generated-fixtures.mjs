// Files the h2 and precompressed scenarios need, made once per run in a temporary folder (removed on exit):
// a self-signed certificate for 127.0.0.1, and a 64 KiB JavaScript file with its .br and .gz beside it.
// Made rather than committed: the certificate would expire, and the JavaScript is generated in ~0.2 s
// (brotli at quality 11 included) from the seed below, so every run serves the same bytes.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { sequence } from "./servers/sequence.mjs";

let folder;
/** The run's temporary folder, made on first use. */
function runFolder() {
    if (!folder) {
        folder = mkdtempSync(path.join(tmpdir(), "vshs-bench-fixtures-"));
        process.on("exit", () => rmSync(folder, { recursive: true, force: true }));
        // Ctrl-C and kill would otherwise end the run without "exit", leaving the key behind.
        for (const signal of ["SIGINT", "SIGTERM"]) process.once(signal, () => process.exit(130));
    }
    return folder;
}

/** A certificate and key (EC P-256, SHA-256, SAN 127.0.0.1 and localhost) as PEM files: { cert, key }. */
export async function makeCertificate() {
    const { generate } = await import("selfsigned");
    const day = 24 * 60 * 60 * 1000;
    const pems = await generate([{ name: "commonName", value: "127.0.0.1" }], {
        keyType: "ec",
        curve: "P-256",
        algorithm: "sha256",
        notBeforeDate: new Date(Date.now() - day),
        notAfterDate: new Date(Date.now() + 7 * day),
        extensions: [
            { name: "basicConstraints", cA: false },
            { name: "keyUsage", digitalSignature: true, critical: true },
            { name: "extKeyUsage", serverAuth: true },
            { name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }, { type: 2, value: "localhost" }] },
        ],
    });
    const cert = path.join(runFolder(), "cert.pem");
    const key = path.join(runFolder(), "key.pem");
    writeFileSync(key, pems.private, { mode: 0o600 });
    writeFileSync(cert, pems.cert);
    return { cert, key };
}

/**
 * `static/app.js` (exactly 64 KiB of generated JavaScript), `app.js.br` (brotli, quality 11, text mode,
 * as a build step makes it) and `app.js.gz` (gzip, level 9) in a folder of their own. Returns the folder
 * (served under the URL prefix /static) and the three sizes.
 */
export function makePrecompressedFixture() {
    const root = path.join(runFolder(), "precompressed");
    mkdirSync(path.join(root, "static"), { recursive: true });
    const source = Buffer.from(generatedJavaScript(64 * 1024));
    const br = zlib.brotliCompressSync(source, {
        params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: source.length },
    });
    const gz = zlib.gzipSync(source, { level: 9 });
    writeFileSync(path.join(root, "static", "app.js"), source);
    writeFileSync(path.join(root, "static", "app.js.br"), br);
    writeFileSync(path.join(root, "static", "app.js.gz"), gz);
    return { root, sizes: { js: source.length, br: br.length, gz: gz.length } };
}

// ---- the JavaScript ----


const verbs = ["load", "save", "parse", "render", "update", "validate", "format", "fetch", "compute", "merge", "resolve", "normalize", "schedule", "dispatch", "measure", "restore", "encode", "select", "toggle", "observe"];
const nouns = ["user", "order", "cart", "item", "session", "token", "price", "query", "route", "cache", "invoice", "address", "payment", "filter", "column", "layout", "message", "channel", "upload", "preview", "settings", "locale", "discount", "shipment"];
const qualifiers = ["pending", "current", "next", "visible", "remote", "local", "default", "cached", "draft", "active", "previous", "selected"];
const messages = ["could not reach the server", "the session has expired", "this field is required", "the amount must be positive", "no results for this search", "the file is too large", "saved", "please try again in a moment", "the address looks incomplete", "changes will be lost"];
const properties = ["id", "name", "status", "total", "createdAt", "items", "count", "label", "value", "url", "width", "height", "offset", "limit", "currency", "quantity"];

/** Readable, varied JavaScript (functions, classes, JSDoc, strings, numbers) of exactly `size` bytes. */
export function generatedJavaScript(size) {
    const random = sequence(0xc0ffee);
    const pick = (list) => list[Math.floor(random() * list.length)];
    const int = (below) => Math.floor(random() * below);
    const capital = (word) => word[0].toUpperCase() + word.slice(1);
    const camel = (...words) => words[0] + words.slice(1).map(capital).join("");
    const lines = ['"use strict";', "", "// Generated for the vshs benchmark: a stand-in for an application bundle.", ""];
    const declared = [];
    const used = new Set();
    /** A declared name, numbered when the words came out the same as before (a file declares each once). */
    const unique = (name) => {
        let candidate = name;
        for (let n = 2; used.has(candidate); n++) candidate = `${name}${n}`;
        used.add(candidate);
        return candidate;
    };
    let length = lines.join("\n").length;
    const emit = (block) => {
        lines.push(...block, "");
        length += block.join("\n").length + 2;
    };
    while (length < size - 2048) {
        const kind = random();
        const noun = pick(nouns);
        const verb = pick(verbs);
        if (kind < 0.45) {
            const qualifier = pick(qualifiers);
            const name = unique(camel(verb, qualifier, noun));
            const [a, b] = [camel(noun), camel(pick(nouns), pick(["id", "list", "options", "count"]))];
            const body = [
                `/**`,
                ` * ${capital(verb)}s the ${qualifier} ${noun} for the given ${b.replace(/([A-Z])/g, " $1").toLowerCase()}.`,
                ` * @param {object} ${a}`,
                ` * @param {number} ${b}`,
                ` * @returns {Promise<object>}`,
                ` */`,
                `export async function ${name}(${a}, ${b} = ${int(100)}) {`,
                `    if (!${a} || typeof ${a}.${pick(properties)} === "undefined") {`,
                `        throw new Error(${JSON.stringify(pick(messages))});`,
                `    }`,
                `    const response = await fetch(\`/api/${noun}s/\${encodeURIComponent(${a}.${pick(properties)})}?limit=\${${b}}\`, { headers: { accept: "application/json" } });`,
                `    if (response.status === ${pick([401, 403, 404, 409, 422])}) return { ...${a}, ${pick(properties)}: ${pick(["null", "0", '""', "[]", "false"])} };`,
                `    const data = await response.json();`,
                `    for (let i = 0; i < data.${pick(properties)}.length; i += ${1 + int(3)}) {`,
                `        data.${pick(properties)}[i] = ${declared.length > 0 && random() < 0.5 ? `${pick(declared)}(data.${pick(properties)}[i])` : `Math.round(data.${pick(properties)}[i] * ${int(1000)}) / ${int(90) + 10}`};`,
                `    }`,
                `    return { ...${a}, ...data, ${pick(properties)}: Date.now() - ${int(86_400_000)} };`,
                `}`,
            ];
            declared.push(name);
            emit(body);
        } else if (kind < 0.7) {
            const name = unique(capital(camel(pick(qualifiers), noun, pick(["store", "view", "controller", "service"]))));
            const field = camel(pick(nouns));
            emit([
                `export class ${name} {`,
                `    #${field} = new Map();`,
                `    #listeners = new Set();`,
                ``,
                `    constructor(options = {}) {`,
                `        this.${pick(properties)} = options.${pick(properties)} ?? ${JSON.stringify(pick(qualifiers))};`,
                `        this.limit = Math.max(${int(10) + 1}, options.limit ?? ${int(500) + 20});`,
                `    }`,
                ``,
                `    ${camel(verb, noun)}(key, value) {`,
                `        if (this.#${field}.size >= this.limit) this.#${field}.delete(this.#${field}.keys().next().value);`,
                `        this.#${field}.set(key, value);`,
                `        for (const listener of this.#listeners) listener(${JSON.stringify(`${verb}:${noun}`)}, key, value);`,
                `        return this;`,
                `    }`,
                ``,
                `    subscribe(listener) {`,
                `        this.#listeners.add(listener);`,
                `        return () => this.#listeners.delete(listener);`,
                `    }`,
                `}`,
            ]);
        } else if (kind < 0.85) {
            const entries = Array.from({ length: 3 + int(5) }, () => `    ${camel(pick(nouns), pick(properties))}: ${JSON.stringify(`${capital(pick(qualifiers))} ${pick(nouns)}: ${pick(messages)}`)},`);
            const name = unique(camel(pick(qualifiers), noun, "Labels"));
            emit([`export const ${name} = Object.freeze({`, ...entries, `});`, `export const ${unique(`${name.replace(/[A-Z]/g, "_$&").toUpperCase()}_VERSION`)} = ${int(65536)};`]);
        } else {
            const name = unique(camel("on", capital(noun), capital(pick(["click", "change", "submit", "input", "scroll", "keydown"]))));
            emit([
                `function ${name}(event) {`,
                `    const target = event.target.closest(${JSON.stringify(`[data-${noun}-${pick(properties).toLowerCase()}]`)});`,
                `    if (target === null) return;`,
                `    event.preventDefault();`,
                `    const ${camel(noun)} = target.dataset.${camel(noun, pick(properties))};`,
                `    requestAnimationFrame(() => target.classList.toggle(${JSON.stringify(`is-${pick(qualifiers)}`)}, Boolean(${camel(noun)})));`,
                `}`,
                `document.addEventListener(${JSON.stringify(pick(["click", "change", "submit", "input"]))}, ${name}, { passive: false });`,
            ]);
        }
    }
    let text = lines.join("\n");
    // Exports of what was declared, then a comment padding to the exact size.
    text += `\nexport default { ${declared.slice(0, 12).join(", ")} };\n`;
    const pad = size - Buffer.byteLength(text) - "/*  */\n".length;
    if (pad < 0) return text.slice(0, size);
    return `${text}/* ${"-".repeat(pad)} */\n`;
}
