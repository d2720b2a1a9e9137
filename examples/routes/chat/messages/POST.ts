import { channel, HTTPError, type HandlerParams } from "vshs";
import { keep, tracked } from "../store.ts";

/** `{ name, text }` (JSON or form fields): published on the "chat" channel, then kept in the chat file. */
export default async function ({ body }: HandlerParams) {
    const name = field(body, "name", 40);
    const text = field(body, "text", 1000);
    const time = new Date().toISOString();
    return tracked(
        (async () => {
            const id = await channel("chat").publish({ name, text, time }, "message");
            const message = { id, name, text, time };
            await keep(message);
            return message;
        })(),
    );
}

function field(body: unknown, key: string, maxLength: number): string {
    const value = typeof body === "object" && body !== null ? (body as Record<string, unknown>)[key] : undefined;
    if (typeof value !== "string") throw new HTTPError(400, `"${key}" is missing or not a string`);
    const trimmed = value.trim();
    if (trimmed === "") throw new HTTPError(400, `"${key}" is empty`);
    if ([...trimmed].length > maxLength) throw new HTTPError(400, `"${key}" is longer than ${maxLength} characters`);
    return trimmed;
}
