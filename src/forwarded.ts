/**
 * The client's address and scheme as the proxies in front of the server report them: `X-Forwarded-For`
 * and `X-Forwarded-Proto`, which nginx, Caddy, HAProxy, cloud load balancers and CDNs set. RFC 7239's
 * `Forwarded` is not read: most of those proxies pass a client's own `Forwarded` through untouched, so
 * preferring it would let any client choose its address. These headers are believed only as far as
 * `trustProxy` says: each trusted proxy appends what it saw, so with N of them the client is the entry
 * N hops back from the right of the chain that ends with the socket's peer. Entries further left come
 * from the client itself, which could otherwise reset its own rate limit by sending another address.
 * With trustProxy 0 no header is read at all.
 */
import { isIP } from "node:net";

/** A request header by lower-case name (duplicates joined with ", "), read only when needed. */
export type HeaderReader = (name: string) => string | undefined;

/** What one proxy says about the request it received: from which address, over which scheme. */
interface Hop {
    /** An IP address; undefined when the proxy hid it (`_hidden`, `unknown`) or wrote something else. */
    for: string | undefined;
    proto: string | undefined;
}

/** The client's address: the socket's `peer`, or the one the trusted proxies report. */
export function ipBehindProxies(peer: string, trustProxy: number, header: HeaderReader): string {
    if (!(trustProxy > 0)) return peer;
    const hops = forwardedHops(header);
    if (hops === undefined) return peer;
    // The chain is [...hops, peer]: N hops back from its right is hops[length - N]. Fewer hops than
    // trusted proxies: the leftmost, as far as the chain goes. A hidden address falls back to the
    // nearest known one on its right (a trusted proxy's, at worst the peer).
    for (let index = Math.max(0, hops.length - trustProxy); index < hops.length; index++) {
        const address = hops[index]!.for;
        if (address !== undefined) return address;
    }
    return peer;
}

/**
 * Whether the client reached the outermost trusted proxy over HTTPS; undefined when trustProxy is 0 or
 * the proxies say nothing (then the connection to this server decides).
 */
export function secureBehindProxies(trustProxy: number, header: HeaderReader): boolean | undefined {
    if (!(trustProxy > 0)) return undefined;
    const protos = header("x-forwarded-proto")?.split(",");
    if (protos === undefined || protos.length === 0) return undefined;
    const proto = protos[Math.max(0, protos.length - trustProxy)]?.trim().toLowerCase();
    return proto === undefined || proto === "" ? undefined : proto === "https";
}

/** The hops of `X-Forwarded-For`, oldest first. */
function forwardedHops(header: HeaderReader): Hop[] | undefined {
    const forwardedFor = header("x-forwarded-for");
    if (forwardedFor === undefined) return undefined;
    return forwardedFor.split(",").map((entry) => ({ for: addressOf(entry.trim()), proto: undefined }));
}

/**
 * The IP address of a node as proxies write it: `192.0.2.1`, `192.0.2.1:8080`, `2001:db8::1`,
 * `[2001:db8::1]:8080`; undefined for an obfuscated one (`_hidden`, `unknown`) or anything else.
 */
export function addressOf(node: string): string | undefined {
    if (node.startsWith("[")) {
        const close = node.indexOf("]");
        const inner = node.slice(1, close);
        return close > 0 && isIP(inner) === 6 ? inner : undefined;
    }
    if (isIP(node) !== 0) return node;
    const colon = node.indexOf(":");
    if (colon > 0 && node.indexOf(":", colon + 1) === -1 && isIP(node.slice(0, colon)) === 4) return node.slice(0, colon);
    return undefined;
}
