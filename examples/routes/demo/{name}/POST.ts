import { HTTPError, type HandlerParams } from "vshs";
import { appendMessage } from "./messages.ts";

/** Appends `{ message }` (JSON or a form field) to messages.txt under this name. */
export default async function ({ route, body }: HandlerParams) {
    const { name = "" } = route.vars;
    if (name === "foo") throw new HTTPError(400, 'Parameter name can\'t be equal to "foo".');
    const message = body?.message;
    if (typeof message !== "string" || message.trim() === "") throw new HTTPError(400, 'Expected a body with a "message" field');
    await appendMessage({ timestamp: new Date().toISOString(), name, message });
    return { answer: "OK" };
}
