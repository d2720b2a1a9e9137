import type { CorsPolicy } from "../cors.ts";
import type { Incoming } from "../contract.ts";
import { socketAnswer } from "../request/upgrade.ts";
import type { Handler } from "../types.ts";
import type { OpenSockets } from "./open-sockets.ts";
import type { OpenStreams } from "./open-streams.ts";
import type { LongLived } from "./to-response.ts";

/** How the pipeline makes the long-lived answers of `handler` for `incoming`. */
export type LongLivedOf = (handler: Handler, incoming: Incoming) => LongLived;

/**
 * Event streams and WebSockets, each followed where the server keeps them open (for shutdown and
 * watch-mode reloads); a WebSocket from another origin is let in only if the CORS policy names it.
 */
export function longLivedAnswers(streams: OpenStreams, sockets: OpenSockets, cors: CorsPolicy): LongLivedOf {
    const allowsOrigin = (origin: string) => cors.headersFor(origin)["access-control-allow-credentials"] === "true";
    return (handler, incoming) => ({
        eventStream: (stream) => streams.eventStream(stream, handler),
        socket: (socket, base) =>
            socketAnswer(incoming, base, socket.protocols, { allowsOrigin, session: (protocol, lastEventId) => sockets.session(socket, handler, protocol, lastEventId) }),
    });
}
