import { appendFile, mkdir, readFile, rename, stat } from "node:fs/promises";
import path from "node:path";

/** One chat message as kept, with the id the channel gave its event. */
export interface ChatMessage {
    id: string;
    name: string;
    text: string;
    time: string;
}

/** One JSON message a line; CHAT_FILE chooses another file (the tests use a temporary one). */
export function chatFile(): string {
    return process.env.CHAT_FILE ?? path.join(import.meta.dirname, "../../chat/messages.jsonl");
}

/**
 * Once the file passes this size it becomes `<file>.old`, replacing the one before, and the next message
 * starts a new file: what is kept, and so each list, stays under twice this size.
 */
const MAX_FILE_BYTES = 256 * 1024;

// Posts still between publishing and writing: a list read waits for them, so that a page that was
// told to reload does not miss a message it was not sent live either.
const writing = new Set<Promise<unknown>>();

/** Runs `post` (publish, then keep) so that list() waits for it. */
export function tracked<T>(post: Promise<T>): Promise<T> {
    writing.add(post);
    void post.catch(() => {}).finally(() => writing.delete(post));
    return post;
}

// The file is written, set aside and read one operation at a time, in order: two appends at once could
// mix their pieces, and a list read while the file is set aside would miss it. That holds within one
// process; with --workers, each process keeps its own order (appending a line this short stays whole).
let lastTurn: Promise<unknown> = Promise.resolve();

function inTurn<T>(task: () => Promise<T>): Promise<T> {
    const result = lastTurn.then(task);
    lastTurn = result.catch(() => {}); // a failed write fails its own post, not the ones after it
    return result;
}

export function keep(message: ChatMessage): Promise<void> {
    const line = JSON.stringify(message) + "\n"; // JSON escapes line breaks: one message, one line
    return inTurn(async () => {
        const file = chatFile();
        await mkdir(path.dirname(file), { recursive: true });
        await appendFile(file, line);
        if ((await stat(file)).size > MAX_FILE_BYTES) await rename(file, `${file}.old`);
    });
}

/** The kept messages, in id order (posts that overlap may be written out of order). */
export async function list(): Promise<ChatMessage[]> {
    await Promise.allSettled(writing);
    const lines = await inTurn(async () => [...(await readLines(`${chatFile()}.old`)), ...(await readLines(chatFile()))]);
    const messages: ChatMessage[] = [];
    for (const line of lines) {
        try {
            if (line !== "") messages.push(JSON.parse(line) as ChatMessage);
        } catch {
            // a line cut short by a crash: skip it
        }
    }
    return messages.sort((a, b) => Number(a.id) - Number(b.id));
}

/** The lines of a file of at most MAX_FILE_BYTES and a line; none if it does not exist yet. */
async function readLines(file: string): Promise<string[]> {
    try {
        return (await readFile(file, "utf8")).split("\n");
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
        throw error;
    }
}
