import { readFile } from "node:fs/promises";
import path from "node:path";

/** The demo page; it also works opened straight from disk (examples/demo/index.html). */
export default async function () {
    const page = await readFile(path.join(import.meta.dirname, "../../demo/index.html"));
    return new Blob([page], { type: "text/html; charset=utf-8" });
}
