import { generate } from "selfsigned";

/** A certificate and its key in PEM, as the `tls` option takes them, with `ca` for clients to trust it. */
export interface TestCertificate {
    cert: string;
    key: string;
    /** The certificate itself: it signs itself, so a client that trusts it trusts the server. */
    ca: string;
}

let made: Promise<TestCertificate> | undefined;

/**
 * A self-signed certificate for localhost and 127.0.0.1, made once per test process: an EC key (P-256),
 * which takes milliseconds where a 2048-bit RSA key takes up to a second, valid from an hour ago (a
 * clock a little behind is no error) for a day.
 */
export function localhostCertificate(): Promise<TestCertificate> {
    return (made ??= generate([{ name: "commonName", value: "localhost" }], {
        keyType: "ec",
        curve: "P-256",
        algorithm: "sha256",
        notBeforeDate: new Date(Date.now() - 3_600_000),
        notAfterDate: new Date(Date.now() + 86_400_000),
        extensions: [
            { name: "basicConstraints", cA: false },
            { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
            { name: "extKeyUsage", serverAuth: true },
            {
                name: "subjectAltName",
                altNames: [
                    { type: 2, value: "localhost" },
                    { type: 7, ip: "127.0.0.1" },
                    { type: 7, ip: "::1" },
                ],
            },
        ],
    }).then(({ cert, private: key }) => ({ cert, key, ca: cert })));
}
