import { realpath, stat } from "node:fs/promises";
import path from "node:path";

export type StaticMatch =
    | { kind: "file"; path: string }
    /** A folder asked for without its trailing slash: its index.html would break relative links. */
    | { kind: "redirect"; location: string };

/**
 * Finds the file a URL path names inside the static folder, and nothing outside it: every segment is
 * decoded once and refused if it could climb or smuggle a separator (`..`, `/`, `\`, NUL), dotfiles are
 * hidden unless asked for, and the real path (after symbolic links) must still lie inside the folder.
 */
export class StaticFolder {
    readonly root: string;
    readonly #dotfiles: boolean;
    /**
     * URL path → file, for a second: a busy file (a 304 above all) then costs the one stat that `send`
     * makes, not three more. A second is as long as a new, deleted or re-linked file can go unseen.
     */
    readonly #recent = new Map<string, { match: StaticMatch; until: number }>();

    constructor(root: string, { dotfiles = false }: { dotfiles?: boolean } = {}) {
        this.root = root;
        this.#dotfiles = dotfiles;
    }

    async find(pathname: string, search: string): Promise<StaticMatch | null> {
        const now = Date.now();
        const recent = this.#recent.get(pathname);
        if (recent !== undefined && recent.until > now) return recent.match;
        const match = await this.#find(pathname, search);
        if (match?.kind === "file") {
            if (this.#recent.size >= maxRecent) this.#recent.clear();
            this.#recent.set(pathname, { match, until: now + recentMs });
        }
        return match;
    }

    async #find(pathname: string, search: string): Promise<StaticMatch | null> {
        const segments = decodeSegments(pathname, this.#dotfiles);
        if (segments === null) return null;
        const wantsFolder = pathname.endsWith("/");
        const target = path.join(this.root, ...segments);
        const stats = await statOrNull(target);
        if (stats === null) return null;
        if (stats.isDirectory()) {
            if (!wantsFolder) return { kind: "redirect", location: `${pathname}/${search}` };
            return this.#inside(path.join(target, "index.html"));
        }
        if (!stats.isFile() || wantsFolder) return null;
        return this.#inside(target);
    }

    async #inside(file: string): Promise<StaticMatch | null> {
        const real = await realpathOrNull(file);
        if (real === null || !real.startsWith(this.root + path.sep)) return null;
        const stats = await statOrNull(real);
        if (stats === null || !stats.isFile()) return null;
        return { kind: "file", path: real };
    }
}

const recentMs = 1000;
const maxRecent = 1000;

/** `/a/b%20c/` → `["a", "b c"]`, or null when any segment is unsafe (or hidden) or the path has empty segments. */
function decodeSegments(pathname: string, dotfiles: boolean): string[] | null {
    const parts = pathname.split("/");
    const segments: string[] = [];
    for (let i = 1; i < parts.length; i++) {
        const raw = parts[i]!;
        if (raw === "") {
            if (i === parts.length - 1) break; // the trailing slash of a folder
            return null; // "//": nothing real, and a redirect to it would leave the site
        }
        let segment: string;
        try {
            segment = decodeURIComponent(raw);
        } catch {
            return null;
        }
        if (segment === "." || segment === ".." || (!dotfiles && segment.startsWith(".")) || /[/\\\0]/.test(segment)) return null;
        segments.push(segment);
    }
    return segments;
}

async function statOrNull(file: string) {
    try {
        return await stat(file);
    } catch {
        return null;
    }
}

async function realpathOrNull(file: string): Promise<string | null> {
    try {
        return await realpath(file);
    } catch {
        return null;
    }
}
