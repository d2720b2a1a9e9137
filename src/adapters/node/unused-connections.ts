/**
 * Connections that have not sent a byte yet. node:http's closeIdleConnections() leaves them open — a
 * connection is idle only after a request — so a client that opened one ahead of need (fetch's pool
 * does, when an earlier connection was aborted) held a stopping server open until it gave up, ~3 s.
 */
import type { Server } from "node:net";
import type { Socket } from "node:net";

/** Follows the connections of `server`; the function returned closes those that have sent nothing. */
export function unusedConnections(server: Server): () => void {
    const open = new Set<Socket>();
    server.on("connection", (socket: Socket) => {
        open.add(socket);
        socket.once("close", () => open.delete(socket));
    });
    return () => {
        for (const socket of open) if (socket.bytesRead === 0) socket.destroy();
    };
}
