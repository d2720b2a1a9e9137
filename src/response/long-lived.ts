import type { CorsPolicy } from "../cors.ts";
import { socketAnswer } from "../request/upgrade.ts";
import type { OpenSockets } from "./open-sockets.ts";
import type { OpenStreams } from "./open-streams.ts";
import type { LongLived } from "./to-response.ts";

/**
 * Event streams and WebSockets, each followed where the server keeps them open (for shutdown and
 * watch-mode reloads); a WebSocket from another origin is let in only if the CORS policy names it.
 */
export function longLivedAnswers(streams: OpenStreams, sockets: OpenSockets, cors: CorsPolicy): LongLived {
    const allowsOrigin = (origin: string) => cors.headersFor(origin)["access-control-allow-credentials"] === "true";
    return {
        eventStream: (stream, handler) => streams.eventStream(stream, handler),
        socket: (socket, base, handler, incoming) =>
            socketAnswer(incoming, base, socket.protocols, { allowsOrigin, session: (protocol, lastEventId) => sockets.session(socket, handler, protocol, lastEventId) }),
    };
}
