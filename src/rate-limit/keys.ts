/** What a limit counts by: the default key (the client's address) and the keys as stores keep them. */
import { createHash } from "node:crypto";

/**
 * The default key of a request from `ip`: an IPv4 address as it is (an IPv4-mapped IPv6 one too), an
 * IPv6 address as its /64 network. One host usually holds a whole /64 and can pick any address in it,
 * so counting per address would let it start afresh at will.
 */
export function addressKey(ip: string): string {
    if (!ip.includes(":")) return ip;
    const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
    if (mapped) return mapped[1]!;
    const network = networkGroups(ip.split("%")[0]!);
    return network === undefined ? ip : `${network.join(":")}::/64`;
}

/** The first four groups of an IPv6 address, without leading zeros; undefined if it is not one. */
function networkGroups(ip: string): string[] | undefined {
    const halves = ip.split("::");
    if (halves.length > 2) return undefined;
    const groups = (half: string | undefined) => (half ? half.split(":") : []);
    const left = groups(halves[0]);
    const right = groups(halves[1]);
    // An embedded IPv4 address at the end stands for two groups.
    const width = left.length + right.length + ((right.at(-1) ?? left.at(-1) ?? "").includes(".") ? 1 : 0);
    const all = [...left, ...Array<string>(halves.length === 2 ? Math.max(0, 8 - width) : 0).fill("0"), ...right];
    const network = all.slice(0, 4);
    if (network.length < 4 || !network.every((group) => /^[0-9a-f]{1,4}$/i.test(group))) return undefined;
    return network.map((group) => parseInt(group, 16).toString(16));
}

/** Longer keys are kept as their hash, so that what a store keeps per key stays small whatever the key function returns. */
const longestKeyKept = 128;

/** A key as the stores keep it; a hash starts with NUL, which no header value or address holds. */
export function keptKey(key: string): string {
    return key.length <= longestKeyKept ? key : `\0sha256:${createHash("sha256").update(key).digest("base64url")}`;
}
