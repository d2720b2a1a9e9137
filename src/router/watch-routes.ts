import { createHash } from "node:crypto";
import { readFileSync, watch, type FSWatcher } from "node:fs";
import path from "node:path";

const settleMs = 50;

/**
 * Calls `reload` when something changes in the routes folder, or in a file outside it that a route
 * imported (see `follow`). Bursts of changes (an editor saving, a git checkout) give one reload;
 * reloads never overlap.
 */
export class RouteWatcher {
    readonly #folder: string;
    readonly #reload: () => Promise<void>;
    readonly #folderWatcher: FSWatcher;
    /** Folders outside the routes folder → the imported files in them that are followed. */
    readonly #outside = new Map<string, { watcher: FSWatcher; files: Set<string> }>();
    #timer: NodeJS.Timeout | undefined;
    #running: Promise<void> | undefined;
    #again = false;

    constructor(folder: string, reload: () => Promise<void>) {
        this.#folder = folder;
        this.#reload = reload;
        this.#folderWatcher = watch(folder, { recursive: true }, () => this.#schedule());
    }

    /** Also reload when one of these files changes (the user's files that routes import, outside the folder). */
    follow(files: Iterable<string>): void {
        for (const file of files) {
            if (file.startsWith(this.#folder + path.sep) || file.includes(`${path.sep}node_modules${path.sep}`)) continue;
            const folder = path.dirname(file);
            let watched = this.#outside.get(folder);
            if (watched === undefined) {
                const files = new Set<string>();
                // The folder, not the file: editors often save by replacing the file, which ends a watch on it.
                const watcher = watch(folder, (_event, name) => {
                    if (name !== null && files.has(name.toString())) this.#schedule();
                });
                watched = { watcher, files };
                this.#outside.set(folder, watched);
            }
            watched.files.add(path.basename(file));
        }
    }

    close(): void {
        clearTimeout(this.#timer);
        this.#folderWatcher.close();
        for (const { watcher } of this.#outside.values()) watcher.close();
        this.#outside.clear();
    }

    #schedule(): void {
        clearTimeout(this.#timer);
        this.#timer = setTimeout(() => this.#run(), settleMs);
    }

    #run(): void {
        if (this.#running) {
            this.#again = true;
            return;
        }
        this.#running = this.#reload().finally(() => {
            this.#running = undefined;
            if (this.#again) {
                this.#again = false;
                this.#run();
            }
        });
    }
}

/** Each file's content digest (missing files left out): a reload compares them to see which route files changed. */
export function fingerprints(files: Iterable<string>): Map<string, string> {
    const digests = new Map<string, string>();
    for (const file of files) {
        try {
            digests.set(file, createHash("sha1").update(readFileSync(file)).digest("base64"));
        } catch {
            // deleted since: it has no fingerprint, so it counts as changed
        }
    }
    return digests;
}
