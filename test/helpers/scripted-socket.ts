/**
 * A client that writes a script to a socket, as a slow or hostile client would: strings are sent, numbers
 * are pauses in ms. It reports what came back until the server closed the connection (or `waitMs`
 * passed: then closedAfterMs is null), and how long after the script started the server closed it.
 */
import type { Socket } from "node:net";

export type Script = (string | number)[];
export interface ScriptResult {
    text: string;
    closedAfterMs: number | null;
}

/** `ready`: the socket's event after which the script starts ("connect", or "secureConnect" for TLS); `check` may refuse the connection then. */
export function runScript(socket: Socket, ready: "connect" | "secureConnect", writes: Script, waitMs: number, check?: () => Error | undefined): Promise<ScriptResult> {
    return new Promise((resolve, reject) => {
        let started = performance.now();
        let text = "";
        const giveUp = setTimeout(() => {
            socket.destroy();
            resolve({ text, closedAfterMs: null });
        }, waitMs);
        socket.setEncoding("latin1");
        socket.on("data", (chunk: string) => (text += chunk));
        socket.on("error", () => {}); // a reset after the answer counts as closed
        socket.on("close", () => {
            clearTimeout(giveUp);
            resolve({ text, closedAfterMs: performance.now() - started });
        });
        socket.on(ready, async () => {
            started = performance.now();
            const refused = check?.();
            if (refused !== undefined) reject(refused);
            for (const each of writes) {
                if (typeof each === "number") await new Promise((done) => setTimeout(done, each));
                else if (!socket.destroyed) socket.write(each);
            }
        });
        socket.on("timeout", reject);
    });
}

/** The status of the first HTTP/1.1 answer in `text`. */
export const statusOf = (text: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
