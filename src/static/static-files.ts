/** The static folders, each under its URL prefix, tried in order. */
import type { Answer, AnswerHeaders, HeaderReader } from "../contract.ts";
import type { Compression } from "../response/compression.ts";
import { fileAnswer } from "./file-answer.ts";
import { StaticFolder } from "./serve-static.ts";
import { chooseVariant } from "./variants.ts";

export interface StaticFilesOptions {
    dotfiles: boolean;
    /** Seconds, for Cache-Control's max-age. */
    maxAge: number;
    /** How answers are compressed, or null for never (precompressed files are still sent). */
    compression: Compression | null;
}

export class StaticFiles {
    readonly #folders: readonly StaticFolder[];
    readonly #compression: Compression | null;
    readonly #cacheControl: string;

    constructor(folders: readonly { root: string; prefix: string }[], options: StaticFilesOptions) {
        this.#folders = folders.map(({ root, prefix }) => new StaticFolder(root, { dotfiles: options.dotfiles, prefix }));
        this.#compression = options.compression;
        this.#cacheControl = `public, max-age=${options.maxAge}`;
    }

    /**
     * The answer for a GET or HEAD of `pathname` (raw, as sent) from the first folder that has it, or
     * null. A folder's redirect counts as having it: `/static` → `/static/` even if a later folder holds
     * a file named `static`, as the order given says.
     */
    async answer(pathname: string, search: string, header: HeaderReader, baseHeaders: Readonly<AnswerHeaders>): Promise<Answer | null> {
        for (const folder of this.#folders) {
            const found = await folder.find(pathname, search);
            if (found === null) continue;
            if (found.kind === "redirect") return { kind: "bytes", status: 301, headers: { ...baseHeaders, location: found.location }, body: null };
            const variant = await chooseVariant(found.path, found.precompressed, header, this.#compression);
            return fileAnswer(variant, header, baseHeaders, this.#cacheControl);
        }
        return null;
    }
}
