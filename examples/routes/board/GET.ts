import { readFile } from "node:fs/promises";
import path from "node:path";

/** The whiteboard's page (examples/board/index.html). */
export default async function () {
    const page = await readFile(path.join(import.meta.dirname, "../../board/index.html"));
    return new Blob([page], { type: "text/html; charset=utf-8" });
}
