import { SSEResponse } from "vshs";
import { countOpen, serverStats } from "../server-stats.ts";

/** The stats of /admin/stats as an event named `stats`, at once and then every second. */
export default async function () {
    return new SSEResponse(async (self) => {
        countOpen("/admin/events", self);
        // `void`: a send after the client left rejects, and a timer has no one to tell.
        const timer = setInterval(async () => void self.send(await serverStats(), "stats"), 1000);
        self.onConnectionClosed = () => clearInterval(timer);
        await self.send(await serverStats(), "stats");
    });
}
