import { appendFile, mkdir, readFile } from "node:fs/promises";
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

// Posts still between publishing and writing: a list read waits for them, so that a page that was
// told to reload does not miss a message it was not sent live either.
const writing = new Set<Promise<unknown>>();

/** Runs `post` (publish, then keep) so that list() waits for it. */
export function tracked<T>(post: Promise<T>): Promise<T> {
    writing.add(post);
    void post.catch(() => {}).finally(() => writing.delete(post));
    return post;
}

export async function keep(message: ChatMessage): Promise<void> {
    const file = chatFile();
    await mkdir(path.dirname(file), { recursive: true });
    await appendFile(file, JSON.stringify(message) + "\n");
}

/** The kept messages, in id order (posts that overlap may be written out of order). */
export async function list(): Promise<ChatMessage[]> {
    await Promise.allSettled(writing);
    let text: string;
    try {
        text = await readFile(chatFile(), "utf8");
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
        throw error;
    }
    const messages: ChatMessage[] = [];
    for (const line of text.split("\n")) {
        try {
            if (line !== "") messages.push(JSON.parse(line) as ChatMessage);
        } catch {
            // a line cut short by a crash: skip it
        }
    }
    return messages.sort((a, b) => Number(a.id) - Number(b.id));
}
