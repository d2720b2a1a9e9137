import { realpathSync, statSync } from "node:fs";
import path from "node:path";
import { StartupError } from "./errors.ts";

/** The folder of the program's entry script (where `routes/` usually sits); the working folder if there is none. */
export function rootDir(): string {
    const entry = process.argv[1];
    if (!entry) return process.cwd();
    try {
        return path.dirname(realpathSync(entry));
    } catch {
        return process.cwd();
    }
}

/**
 * A folder option as the seed reads it: an absolute path that exists is taken as it is; any other
 * path, including one that starts with "/" (`"/routes"`), is relative to `rootDir()`.
 * Returns the real path of an existing folder, or throws a one-line StartupError naming the option.
 */
export function resolveFolder(value: string, option: string): string {
    const candidate = path.isAbsolute(value) && exists(value) ? value : path.join(rootDir(), value);
    let stats;
    try {
        stats = statSync(candidate);
    } catch {
        const where = path.isAbsolute(value) ? `${value}, nor ${candidate} (relative to the entry script's folder)` : `${candidate}`;
        throw new StartupError(`The ${option} folder was not found: ${where} (option "${option}": "${value}")`);
    }
    if (!stats.isDirectory()) throw new StartupError(`The ${option} option must name a folder, but ${candidate} is a file`);
    return realpathSync(candidate);
}

function exists(file: string): boolean {
    try {
        statSync(file);
        return true;
    } catch {
        return false;
    }
}
