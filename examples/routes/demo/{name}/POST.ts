import { HTTPError, type HandlerParams } from "vshs";
import { appendMessage, MAX_MESSAGE_LENGTH } from "./messages.ts";

/** Appends `{ message }` (JSON or a form field, at most 1000 characters) to messages.txt under this name. */
export default async function ({ route, body }: HandlerParams) {
    const { name = "" } = route.vars;
    if (name === "foo") throw new HTTPError(400, 'Parameter name can\'t be equal to "foo".');
    const message = body?.message;
    if (typeof message !== "string" || message.trim() === "") throw new HTTPError(400, 'Expected a body with a "message" field');
    if ([...message].length > MAX_MESSAGE_LENGTH) throw new HTTPError(400, `"message" is longer than ${MAX_MESSAGE_LENGTH} characters`);
    await appendMessage({ timestamp: new Date().toISOString(), name, message });
    return { answer: "OK" };
}
