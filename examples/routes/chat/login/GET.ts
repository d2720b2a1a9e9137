import type { HandlerParams } from "vshs";
import { loggedIn } from "../session.ts";

/** Who this client is logged in as: `{ name }`, `null` if no one (the page cannot read its HttpOnly cookie itself). */
export default async function ({ cookies }: HandlerParams) {
    return { name: (await loggedIn(cookies)) ?? null };
}
