import { appendFile, open, rename, stat, type FileHandle } from "node:fs/promises";
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

/** Once messagesFile passes MAX_FILE_BYTES it becomes this one (replacing the one before): a new page is sent both. */
const olderFile = `${messagesFile}.old`;
const MAX_FILE_BYTES = 256 * 1024;

/** Longer messages are refused: one post cannot fill the file, nor the memory of every page that reads it. */
export const MAX_MESSAGE_LENGTH = 1000;

// What this file guarantees holds within one process: posts are written one at a time, each as one
// whole line, and a page that follows the file gets every line once. With --workers, each process
// writes its lines whole too (appending is atomic for lines this short), but each sets the file aside
// on its own, so a line another worker writes at that moment may not reach the pages that follow.

let lastTurn: Promise<unknown> = Promise.resolve();

/**
 * Runs `task` once every file operation queued before it has ended. Two large appends at once could be
 * written in pieces mixed with each other, and the file must not be set aside while a page reads it.
 */
function inTurn<T>(task: () => Promise<T>): Promise<T> {
    const result = lastTurn.then(task);
    lastTurn = result.catch(() => {}); // a failed write fails its own post, not the ones after it
    return result;
}

/** Appends the message as one line; past MAX_FILE_BYTES, the file is set aside and the next post starts a new one. */
export function appendMessage(message: Message): Promise<void> {
    const line = JSON.stringify(message) + "\n"; // JSON escapes line breaks: one message, one line
    return inTurn(async () => {
        await appendFile(messagesFile, line);
        if ((await stat(messagesFile)).size > MAX_FILE_BYTES) await rename(messagesFile, olderFile);
    });
}

/**
 * Calls `onMessage` for each message kept (the older file's, then the current one's), then for each one
 * appended later, until the returned `stop` is called. Uses fs.watch (inotify on Linux) on the folder,
 * which also sees the file being replaced: no subprocess, no polling timer. A watcher may fold changes
 * made within a few milliseconds into one notice, sent for the first of them (Bun 1.4 does), so each
 * notice also schedules one more read shortly after.
 */
export async function followMessages(onMessage: (message: Message) => void): Promise<() => void> {
    let stopped = false;
    const send = (message: Message) => {
        if (!stopped) onMessage(message);
    };
    // Read between two writes, so that the file is not set aside half-way through.
    let { file, offset } = await inTurn(async () => {
        await sendWholeFile(olderFile, send);
        await appendFile(messagesFile, ""); // create it if needed, so that there is something to open
        const file = await open(messagesFile, "r");
        return { file, offset: await sendLines(file, 0, send) };
    });

    const readNewLines = async () => {
        if (stopped) return;
        const setAside = await isReplaced(file);
        offset = await sendLines(file, offset, send); // once set aside, nothing more is appended to it: this reads it to its end
        if (!setAside) return;
        await file.close();
        file = await open(messagesFile, "r");
        offset = await sendLines(file, 0, send);
    };
    // One read at a time, in order, however fast change notifications come.
    let reading = Promise.resolve();
    const queueRead = () => {
        reading = reading.then(readNewLines).catch(() => {});
        return reading;
    };

    let lateRead: ReturnType<typeof setTimeout> | undefined;
    const watcher = watch(path.dirname(messagesFile), (_event, changed) => {
        if (changed !== null && changed !== path.basename(messagesFile)) return; // another file of the folder
        void queueRead();
        clearTimeout(lateRead);
        lateRead = setTimeout(queueRead, 50);
    });
    await queueRead(); // what was appended before the watcher started
    return () => {
        stopped = true;
        clearTimeout(lateRead);
        watcher.close();
        void reading.then(() => file.close());
    };
}

/**
 * Sends each complete line of `file` from `offset` on, and returns the offset after the last one. A line
 * still being written has no "\n" yet: it is read again, whole, next time. The file is at most
 * MAX_FILE_BYTES and a line, so neither is the buffer.
 */
async function sendLines(file: FileHandle, offset: number, send: (message: Message) => void): Promise<number> {
    const { size } = await file.stat();
    const buffer = Buffer.alloc(Math.max(0, size - offset));
    const { bytesRead } = await file.read(buffer, 0, buffer.length, offset);
    const end = buffer.subarray(0, bytesRead).lastIndexOf("\n") + 1;
    for (const line of buffer.toString("utf8", 0, end).split("\n")) {
        const message = parseLine(line);
        if (message) send(message);
    }
    return offset + end;
}

async function sendWholeFile(filePath: string, send: (message: Message) => void): Promise<void> {
    let file: FileHandle;
    try {
        file = await open(filePath, "r");
    } catch {
        return; // no older file yet
    }
    try {
        await sendLines(file, 0, send);
    } finally {
        await file.close();
    }
}

/** Whether messagesFile now names a newer file than `file`, the one it named when `file` was opened. */
async function isReplaced(file: FileHandle): Promise<boolean> {
    try {
        return (await stat(messagesFile)).ino !== (await file.stat()).ino;
    } catch {
        return false; // set aside, and no post has started the new one yet
    }
}

function parseLine(line: string): Message | null {
    try {
        return JSON.parse(line) as Message;
    } catch {
        return null; // an empty line, or one cut short by a crash
    }
}
