import { appendFile, open } from "node:fs/promises";
import { watch } from "node:fs";
import path from "node:path";

/** One line of messages.txt. */
export interface Message {
    timestamp: string;
    name: string;
    message: string;
}

/** Every demo page posts to, and follows, this one file: one JSON message a line. */
export const messagesFile = process.env.VSHS_DEMO_MESSAGES ?? path.join(import.meta.dirname, "../../../demo/messages.txt");

export async function appendMessage(message: Message): Promise<void> {
    await appendFile(messagesFile, JSON.stringify(message) + "\n");
}

/**
 * Calls `onMessage` for each line already in the file, then for each line appended later, until the
 * returned `stop` is called. Uses fs.watch (inotify on Linux): no subprocess, no polling timer.
 * A watcher may fold changes made within a few milliseconds into one notice, sent for the first of them
 * (Bun 1.4 does), so each notice also schedules one more read shortly after.
 */
export async function followMessages(onMessage: (message: Message) => void): Promise<() => void> {
    await appendFile(messagesFile, ""); // create it if needed, so there is something to watch
    let offset = 0;
    let partial = "";
    let reading = Promise.resolve();
    let stopped = false;

    const readNewLines = async () => {
        const file = await open(messagesFile, "r");
        try {
            const { size } = await file.stat();
            if (size < offset) offset = 0; // the file was emptied: start again
            const buffer = Buffer.alloc(size - offset);
            await file.read(buffer, 0, buffer.length, offset);
            offset = size;
            const lines = (partial + buffer.toString("utf8")).split("\n");
            partial = lines.pop() ?? "";
            for (const line of lines) {
                if (stopped) return;
                const message = parseLine(line);
                if (message) onMessage(message);
            }
        } finally {
            await file.close();
        }
    };
    // One read at a time, in order, however fast change notifications come.
    const queueRead = () => {
        reading = reading.then(readNewLines).catch(() => {});
        return reading;
    };

    let lateRead: ReturnType<typeof setTimeout> | undefined;
    const watcher = watch(messagesFile, () => {
        void queueRead();
        clearTimeout(lateRead);
        lateRead = setTimeout(queueRead, 50);
    });
    await queueRead();
    return () => {
        stopped = true;
        clearTimeout(lateRead);
        watcher.close();
    };
}

function parseLine(line: string): Message | null {
    try {
        return JSON.parse(line) as Message;
    } catch {
        return null;
    }
}
