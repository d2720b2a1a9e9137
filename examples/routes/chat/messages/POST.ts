import { channel, rateLimit, type HandlerParams } from "vshs";
import { field } from "../fields.ts";
import { author } from "../session.ts";
import { keep, tracked } from "../store.ts";

// At most 30 messages a minute per client (its address: behind a proxy, see TRUST_PROXY in
// examples/main.ts), then 429 with Retry-After. The limit is called from this handler rather than
// from a _middleware.ts: a folder's middleware runs before every route of its folder and below, for
// every method, and reading the chat (GET /chat/messages, the stream) should not use up posts.
const limit = rateLimit({ window: 60_000, max: 30, name: "chat" });

/**
 * `{ text }` (JSON or form fields) from the logged-in user (401 otherwise; a `name` in the body is
 * ignored): published on the "chat" channel with the login's name, then kept in the chat file.
 */
export default async function (params: HandlerParams) {
    const name = await author(params.cookies);
    await limit(params); // after the login check: a post refused with 401 uses up nothing
    const text = field(params.body, "text", 1000);
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
