import { channel, SSEResponse } from "vshs";
import { countOpen } from "../../admin/server-stats.ts";

/**
 * The chat's live events (`message`), resumed from Last-Event-ID, or `vshs-reset` when that is too old:
 * `channel("chat").stream()`, written out so that the stream counts itself in /admin/stats.
 */
export default async function () {
    return new SSEResponse(async (self) => {
        countOpen("/chat/events", self);
        await self.subscribe(channel("chat"));
    });
}
