/**
 * `vshs --https`: a self-signed certificate for localhost, made once and kept in the user's cache folder,
 * so that a browser told to trust it once keeps trusting it across restarts.
 */
import { X509Certificate } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";

export interface LocalCertificate {
    certFile: string;
    keyFile: string;
    /** Whether it was made now (else it was found in the cache). */
    made: boolean;
}

/** Days a local certificate is valid: Apple's platforms refuse server certificates valid for more than 398. */
const validDays = 365;
/** A cached certificate this close to its end is made again, so a long-running server does not meet it. */
const renewWithinDays = 30;
const day = 24 * 60 * 60 * 1000;

/** The cached certificate if it is still good for a while, or a new one in its place. */
export async function localCertificate(env: NodeJS.ProcessEnv = process.env, now = new Date()): Promise<LocalCertificate> {
    const folder = cacheFolder(env);
    const certFile = path.join(folder, "localhost-cert.pem");
    const keyFile = path.join(folder, "localhost-key.pem");
    if (stillGood(certFile, keyFile, now)) return { certFile, keyFile, made: false };
    // Loaded only here: the library (and its X.509 dependencies) costs nothing to a server without --https.
    const { generate } = await import("selfsigned");
    const pems = await generate([{ name: "commonName", value: "localhost" }], {
        keyType: "ec",
        algorithm: "sha256",
        notBeforeDate: new Date(now.getTime() - day),
        notAfterDate: new Date(now.getTime() + validDays * day),
        extensions: [
            { name: "basicConstraints", cA: false },
            { name: "keyUsage", digitalSignature: true, critical: true },
            { name: "extKeyUsage", serverAuth: true },
            { name: "subjectAltName", altNames: [{ type: 2, value: "localhost" }, { type: 7, ip: "127.0.0.1" }, { type: 7, ip: "::1" }] },
        ],
    });
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    writeFileSync(keyFile, pems.private, { mode: 0o600 });
    writeFileSync(certFile, pems.cert);
    return { certFile, keyFile, made: true };
}

/** `$XDG_CACHE_HOME/vshs`, `%LOCALAPPDATA%\vshs` on Windows, else `~/.cache/vshs`. */
export function cacheFolder(env: NodeJS.ProcessEnv): string {
    if (env["XDG_CACHE_HOME"]) return path.join(env["XDG_CACHE_HOME"], "vshs");
    if (process.platform === "win32" && env["LOCALAPPDATA"]) return path.join(env["LOCALAPPDATA"], "vshs");
    return path.join(homedir(), ".cache", "vshs");
}

function stillGood(certFile: string, keyFile: string, now: Date): boolean {
    try {
        const certificate = new X509Certificate(readFileSync(certFile));
        readFileSync(keyFile);
        return Date.parse(certificate.validTo) - now.getTime() > renewWithinDays * day && Date.parse(certificate.validFrom) <= now.getTime();
    } catch {
        return false; // missing, unreadable or not a certificate: made again
    }
}

/** What the CLI prints about it: where it is and how to make clients trust it. */
export function certificateNotice({ certFile, made }: LocalCertificate): string {
    return [
        `  https: ${made ? "made a" : "using the"} self-signed certificate for localhost: ${certFile}`,
        `         browsers warn until it is trusted (docs/https.md); curl --cacert ${certFile}; NODE_EXTRA_CA_CERTS=${certFile} for Node`,
    ].join("\n");
}
