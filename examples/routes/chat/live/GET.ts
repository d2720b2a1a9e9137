import { channel, WebSocketResponse, type HandlerParams } from "vshs";
import { author } from "../session.ts";

/**
 * The chat over a WebSocket, for the logged-in user only (401 before the upgrade otherwise): a first
 * message `{ "event": "hello", "data": { "name": … } }`, then the chat's events as `{ id, event, data }`,
 * resumed after `?lastEventId=`. A page of another origin is refused (403) before its socket opens,
 * and a page of another site would bring no login cookie (SameSite=Lax).
 */
export default async function ({ cookies }: HandlerParams) {
    const name = await author(cookies);
    return new WebSocketResponse(async (self) => {
        await self.send({ event: "hello", data: { name } });
        await self.subscribe(channel("chat"));
    });
}
