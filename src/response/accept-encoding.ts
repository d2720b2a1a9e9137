/** Content negotiation on Accept-Encoding (RFC 9110 §12.5.3): which coding, if any, a client takes. */
import type { Encoding } from "../types.ts";

/**
 * The coding to send from those `offered` (in the server's order of preference), or null for the body as
 * it is. The client's q-values decide first, the server's order breaks ties; `q=0` refuses a coding;
 * `*` stands for every coding the header does not name; no header, or an empty one, means identity.
 * A client that refuses identity too still gets it when nothing else is acceptable: RFC 9110 allows
 * a 406 then, but a readable answer serves every real client better (as Express and Fastify do).
 */
export function preferredEncoding(acceptEncoding: string | undefined, offered: readonly Encoding[]): Encoding | null {
    if (acceptEncoding === undefined || offered.length === 0) return null;
    const weights = parseAcceptEncoding(acceptEncoding);
    if (weights === null) return null;
    let best: Encoding | null = null;
    let bestWeight = 0;
    for (const coding of offered) {
        const weight = weights.get(coding) ?? weights.get("*") ?? 0;
        if (weight > bestWeight) {
            best = coding;
            bestWeight = weight;
        }
    }
    return best;
}

/** coding → q, lower-cased; null when the header does not parse (then nothing is compressed). */
function parseAcceptEncoding(header: string): Map<string, number> | null {
    const weights = new Map<string, number>();
    for (const item of header.split(",")) {
        const [name = "", ...parameters] = item.split(";");
        const coding = name.trim().toLowerCase();
        // "gzip, , br" and a trailing comma are tolerated, as RFC 9110 §5.6.1 asks; a weight without a coding is not.
        if (coding === "" && parameters.length === 0) continue;
        if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(coding)) return null;
        let q = 1;
        for (const parameter of parameters) {
            const match = /^\s*q\s*=\s*(0(\.\d{0,3})?|1(\.0{0,3})?)\s*$/i.exec(parameter);
            if (match === null) return null;
            q = Number(match[1]);
        }
        // A coding named twice keeps its highest weight: a client that lists it at all can decode it.
        weights.set(coding, Math.max(q, weights.get(coding) ?? 0));
    }
    return weights;
}
