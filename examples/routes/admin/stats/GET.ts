import { serverStats } from "../server-stats.ts";

/** `{ uptime, openStreams, routes }` (see server-stats.ts); only past the token check of ../_middleware.ts. */
export default async function () {
    return serverStats();
}
