import { HTTPError, type Cookies } from "vshs";

/**
 * Who is logged in: a cookie holding the name, signed with the server's secret ($VSHS_SECRET), so that
 * a client can keep it but not make it say another name. vshs sends it HttpOnly (out of the page's
 * scripts' reach) and SameSite=Lax (not sent with another site's posts).
 */
const cookieName = "chat-name";

export function logIn(cookies: Cookies, name: string): void {
    cookies.set(cookieName, name, { signed: true });
}

export function logOut(cookies: Cookies): void {
    cookies.delete(cookieName);
}

/** The logged-in name; undefined without the cookie, or with one the server did not sign (forged, changed, or signed before a restart with a random secret). */
export function loggedIn(cookies: Cookies): Promise<string | undefined> {
    return cookies.get(cookieName, { signed: true });
}

/** The logged-in name, or a 401. */
export async function author(cookies: Cookies): Promise<string> {
    const name = await loggedIn(cookies);
    if (name === undefined) throw new HTTPError(401, "Log in first: POST /chat/login with your name");
    return name;
}
