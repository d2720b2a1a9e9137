/** The tls option: a certificate and key, each given as PEM text or as a file that holds it. */

import { readFileSync } from "node:fs";
import path from "node:path";
import { StartupError } from "./errors.ts";
import type { TlsOptions } from "./types.ts";

/** Each of cert and key: the PEM text itself, or a file that holds it. */
export function tlsFrom(tls: TlsOptions): TlsOptions {
    if (typeof tls !== "object" || tls === null || typeof tls.cert !== "string" || typeof tls.key !== "string") {
        throw new StartupError("The tls option must be { cert, key }, each a PEM file or PEM text");
    }
    return Object.freeze({ cert: pemFrom(tls.cert, "cert"), key: pemFrom(tls.key, "key") });
}

function pemFrom(value: string, name: "cert" | "key"): string {
    if (value.includes("-----BEGIN")) return value;
    let text: string;
    try {
        text = readFileSync(path.resolve(value), "utf8");
    } catch (error) {
        throw new StartupError(`The TLS ${name} could not be read: ${path.resolve(value)} (${(error as NodeJS.ErrnoException).code ?? String(error)}; option "tls.${name}" or --tls-${name})`);
    }
    if (!text.includes("-----BEGIN")) throw new StartupError(`The TLS ${name} file holds no PEM block: ${path.resolve(value)} (option "tls.${name}" or --tls-${name})`);
    return text;
}
