import { realpath, stat } from "node:fs/promises";
import path from "node:path";
import { precompressedSuffixes, type Precompressed } from "./variants.ts";

export type StaticMatch =
    /** A file, with the precompressed siblings found beside it (`app.js.br`, `app.js.gz`…), best first. */
    | { kind: "file"; path: string; precompressed: readonly Precompressed[] }
    /** A folder asked for without its trailing slash: its index.html would break relative links. */
    | { kind: "redirect"; location: string };

/**
 * Finds the file a URL path names inside one static folder served under a URL prefix, and nothing
 * outside it: the prefix matches whole segments, every segment after it is decoded once and refused if
 * it could climb or smuggle a separator (`..`, `/`, `\`, NUL), dotfiles are hidden unless asked for, and
 * the real path (after symbolic links) must still lie inside the folder.
 */
export class StaticFolder {
    readonly root: string;
    /** `/static` for a folder served under /static, `/` for one served at the site's root. */
    readonly prefix: string;
    readonly #dotfiles: boolean;
    /**
     * URL path → file and siblings, for a second: a busy file (a 304 above all) then costs the one stat
     * its answer makes, not the lookups of the file and of its three possible siblings. A second is as long as a new, deleted or re-linked file (or
     * precompressed sibling) can go unseen.
     */
    readonly #recent = new Map<string, { match: StaticMatch; until: number }>();

    constructor(root: string, { dotfiles = false, prefix = "/" }: { dotfiles?: boolean; prefix?: string } = {}) {
        this.root = root;
        this.prefix = prefix;
        this.#dotfiles = dotfiles;
    }

    /** The file or redirect for a URL path (raw, as the request sent it), or null when this folder has nothing there. */
    async find(pathname: string, search: string): Promise<StaticMatch | null> {
        const rest = this.#afterPrefix(pathname);
        if (rest === null) return null;
        const now = Date.now();
        const recent = this.#recent.get(pathname);
        if (recent !== undefined && recent.until > now) return recent.match;
        const match = await this.#find(rest, search);
        if (match?.kind === "file") {
            if (this.#recent.size >= maxRecent) this.#recent.clear();
            this.#recent.set(pathname, { match, until: now + recentMs });
        }
        return match;
    }

    /**
     * The path below the prefix (`/static/app.js` → `/app.js`, `/static` → ""), or null when the prefix
     * does not match: compared as sent, by whole segments, so `/staticx` and `/static%2f..` are not in it.
     */
    #afterPrefix(pathname: string): string | null {
        if (this.prefix === "/") return pathname;
        if (!pathname.startsWith(this.prefix)) return null;
        const rest = pathname.slice(this.prefix.length);
        return rest === "" || rest.startsWith("/") ? rest : null;
    }

    async #find(rest: string, search: string): Promise<StaticMatch | null> {
        const segments = decodeSegments(rest, this.#dotfiles);
        if (segments === null) return null;
        const wantsFolder = rest.endsWith("/");
        const target = path.join(this.root, ...segments);
        const stats = await statOrNull(target);
        if (stats === null) return null;
        if (stats.isDirectory()) {
            if (!wantsFolder) return { kind: "redirect", location: `${this.prefix === "/" ? "" : this.prefix}${rest}/${search}` };
            return this.#file(path.join(target, "index.html"));
        }
        if (!stats.isFile() || wantsFolder) return null;
        return this.#file(target);
    }

    async #file(file: string): Promise<StaticMatch | null> {
        const real = await this.#inside(file);
        if (real === null) return null;
        return { kind: "file", path: real, precompressed: await this.#precompressed(real) };
    }

    /** The siblings found beside `file`, held to the same rule as any file: a link leading out is not one. */
    async #precompressed(file: string): Promise<Precompressed[]> {
        const found = await Promise.all(precompressedSuffixes.map(async ({ encoding, suffix }) => {
            const real = await this.#inside(file + suffix);
            return real === null ? null : { encoding, path: real };
        }));
        return found.filter((sibling) => sibling !== null);
    }

    /** The real path of `file` if it is a file inside the folder, else null. */
    async #inside(file: string): Promise<string | null> {
        const real = await realpathOrNull(file);
        if (real === null || !real.startsWith(this.root + path.sep)) return null;
        const stats = await statOrNull(real);
        if (stats === null || !stats.isFile()) return null;
        return real;
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
