import { readFile } from "node:fs/promises";
import path from "node:path";

/** The chat page; it also works opened straight from disk (examples/chat/index.html). */
export default async function () {
    const page = await readFile(path.join(import.meta.dirname, "../../chat/index.html"));
    return new Blob([page], { type: "text/html; charset=utf-8" });
}
