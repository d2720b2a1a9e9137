import type { HandlerParams } from "vshs";
import { field } from "../fields.ts";
import { logIn } from "../session.ts";

/** `{ name }` (JSON or form fields, trimmed, 1 to 40 characters): sets the signed login cookie and answers `{ name }`. */
export default async function ({ body, cookies }: HandlerParams) {
    const name = field(body, "name", 40);
    logIn(cookies, name);
    return { name };
}
