import type { HandlerParams } from "vshs";
import { logOut } from "../session.ts";

/** Deletes the login cookie: `{ name: null }`. */
export default async function ({ cookies }: HandlerParams) {
    logOut(cookies);
    return { name: null };
}
