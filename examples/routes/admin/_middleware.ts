import { createHash, timingSafeEqual } from "node:crypto";
import { HTTPError, type HandlerParams } from "vshs";

/**
 * Guards everything under /admin: the request must carry `Authorization: Bearer <token>`, the token
 * being $ADMIN_TOKEN. Without it, or with ADMIN_TOKEN unset, the answer is 401 and no route of this
 * folder runs. vshs runs this file before every route of the folder and below, for every method (HEAD
 * too) and before event streams start; it is part of each route's handler, so however a client spells
 * the path, a request that reaches one of these routes has come through here.
 */
export default function ({ request }: HandlerParams) {
    const expected = process.env.ADMIN_TOKEN;
    const sent = /^Bearer +(\S+) *$/i.exec(request.headers.get("authorization") ?? "")?.[1];
    if (expected && sent !== undefined && sameToken(sent, expected)) return undefined; // undefined: on to the route
    throw new HTTPError(401, "The admin pages need Authorization: Bearer <$ADMIN_TOKEN>", { "WWW-Authenticate": 'Bearer realm="admin"' });
}

/**
 * Compares in constant time, so that how long a refusal takes says nothing of how much of the token
 * was right. timingSafeEqual needs two buffers of one length: comparing SHA-256 digests gives it that,
 * without telling the token's length either.
 */
function sameToken(sent: string, expected: string): boolean {
    const digest = (text: string) => createHash("sha256").update(text).digest();
    return timingSafeEqual(digest(sent), digest(expected));
}
