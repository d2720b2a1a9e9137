import { HTTPError, type HandlerParams } from "vshs";

/**
 * Runs before every route under /chat, for every method. Reading is open to anyone; a write (log in,
 * log out, post) sent by a browser must come from a page of this server. The login cookie is
 * SameSite=Lax, which keeps it off the posts another *site* makes; but a page of another origin on the
 * same site (another port of the same host, another subdomain) still gets it sent, and could post as
 * the user. Browsers name where a request comes from in Sec-Fetch-Site; a client that sends none
 * (curl, a script) is no page acting for someone else, and writes with its own cookie, if any.
 */
export default function ({ request }: HandlerParams) {
    if (request.method === "GET" || request.method === "HEAD") return undefined;
    const from = request.headers.get("sec-fetch-site");
    if (from === null || from === "same-origin") return undefined;
    throw new HTTPError(403, `The chat takes writes from its own page only, not from a ${from} one`);
}
