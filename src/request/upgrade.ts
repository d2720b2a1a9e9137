import type { Answer, AnswerHeaders, Incoming, SocketSession } from "../contract.ts";
import { textAnswer } from "../response/answer.ts";

/** What a WebSocket route makes of a request: a valid opening handshake, or why not (RFC 6455 §4.2.1, §4.4). */
export type Upgrade = { valid: true; offered: string[] } | { valid: false; status: 400 | 403 | 426; message: string; headers: Record<string, string> };

/** Any token of a comma-separated header, compared without case. */
function hasToken(value: string | undefined, token: string): boolean {
    return value !== undefined && value.split(",").some((each) => each.trim().toLowerCase() === token);
}

/** A Sec-WebSocket-Key is 16 random bytes in base64: 22 characters and "==". */
const keyShape = /^[A-Za-z0-9+/]{22}==$/;

/**
 * Checks the opening handshake of a request to a WebSocket route. Not an upgrade at all (a plain GET,
 * a HEAD): 426 naming the protocol to upgrade to. An upgrade of another version: 426 naming the one
 * spoken. A malformed one (no key, not GET): 400. One from a page of another origin: 403, unless
 * `allowsOrigin` says that origin may (the `cors` option names it): a browser sends the user's cookies
 * with a WebSocket handshake whatever page opens it, and no CORS check protects the answer.
 */
export function checkUpgrade(incoming: Incoming, allowsOrigin: (origin: string) => boolean): Upgrade {
    const upgrade = { upgrade: "websocket", connection: "Upgrade" };
    if (!hasToken(incoming.header("upgrade"), "websocket") || !hasToken(incoming.header("connection"), "upgrade")) {
        return { valid: false, status: 426, message: "This route speaks WebSocket: connect with a WebSocket client", headers: { ...upgrade, "sec-websocket-version": "13" } };
    }
    if (incoming.header("sec-websocket-version")?.trim() !== "13") {
        return { valid: false, status: 426, message: "This server speaks WebSocket version 13 (Sec-WebSocket-Version)", headers: { ...upgrade, "sec-websocket-version": "13" } };
    }
    if (incoming.method !== "GET") return { valid: false, status: 400, message: "A WebSocket opening handshake is a GET", headers: {} };
    if (!keyShape.test(incoming.header("sec-websocket-key")?.trim() ?? "")) {
        return { valid: false, status: 400, message: "A WebSocket opening handshake needs a Sec-WebSocket-Key of 16 bytes in base64", headers: {} };
    }
    const origin = incoming.header("origin");
    if (origin !== undefined && !sameHost(origin, incoming.host) && !allowsOrigin(origin)) {
        return { valid: false, status: 403, message: `A WebSocket from a page of another origin (${origin}) is refused: name that origin in the cors option to let it in`, headers: {} };
    }
    const offered = (incoming.header("sec-websocket-protocol") ?? "")
        .split(",")
        .map((each) => each.trim())
        .filter((each) => each !== "");
    return { valid: true, offered };
}

/** Whether a page's origin is this server as the request reached it (the scheme aside: a proxy may end TLS). */
function sameHost(origin: string, host: string | undefined): boolean {
    try {
        return host !== undefined && new URL(origin).host === new URL(`http://${host}`).host;
    } catch {
        return false; // "null" (a sandboxed page, a file), or not an origin
    }
}

/** The route's first protocol that the client offers ("" when none is shared, or none is spoken). */
export function chooseProtocol(spoken: readonly string[], offered: readonly string[]): string {
    return spoken.find((protocol) => offered.includes(protocol)) ?? "";
}

/**
 * The answer of a WebSocket route: the socket (its session made with the protocol chosen and the
 * `lastEventId` query parameter), or the refusal of a request that is no valid handshake.
 */
export function socketAnswer(
    incoming: Incoming,
    base: Readonly<AnswerHeaders>,
    protocols: readonly string[],
    { allowsOrigin, session }: { allowsOrigin: (origin: string) => boolean; session: (protocol: string, lastEventId: string | undefined) => SocketSession },
): Answer {
    const upgrade = checkUpgrade(incoming, allowsOrigin);
    if (!upgrade.valid) return textAnswer(upgrade.status, { ...base, ...upgrade.headers }, upgrade.message);
    const query = incoming.target.indexOf("?");
    const lastEventId = query === -1 ? undefined : (new URLSearchParams(incoming.target.slice(query + 1)).get("lastEventId") ?? undefined);
    return { kind: "socket", status: 101, headers: base, socket: session(chooseProtocol(protocols, upgrade.offered), lastEventId) };
}
