import { HTTPError } from "../errors.ts";
import type { Incoming } from "./incoming.ts";

type HeaderSource = Pick<Incoming, "header">;

// Characters the URL parser leaves as they are in a path; a path made only of them needs no parsing.
const plainPath = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/;
// …unless it has a "." or ".." segment (or an encoded one), which the parser would remove.
const dotSegment = /(?:^|\/)\.\.?(?:\/|$)|%2e/i;
const hostPattern = /^(?:[A-Za-z0-9.\-_]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** Whether the path has a "." or ".." segment, encoded or not; most paths, with no "." or "%", skip the pattern. */
function hasDotSegment(path: string): boolean {
    return (path.includes(".") || path.includes("%")) && dotSegment.test(path);
}

/**
 * The request target: its path and query at once, the full `URL` only when asked for. Building a URL is
 * a visible share of a small request, and routing needs only the path; a path the URL parser would
 * change (dot segments, backslashes, characters it encodes) is parsed at once, so both always agree.
 */
export class RequestTarget {
    readonly pathname: string;
    readonly search: string;
    readonly #target: string;
    readonly #host: string | undefined | HeaderSource;
    readonly #fallbackHost: string;
    #url: URL | undefined;

    /** `host` is the Host header, or where to read it if the URL is ever built (most requests never do). */
    constructor(target: string, host: string | undefined | HeaderSource, fallbackHost: string) {
        this.#target = target;
        this.#host = host;
        this.#fallbackHost = fallbackHost;
        if (target.startsWith("/")) {
            const query = target.indexOf("?");
            const path = query === -1 ? target : target.slice(0, query);
            if (plainPath.test(path) && !hasDotSegment(path) && !target.includes("#")) {
                this.pathname = path;
                this.search = query === -1 || query === target.length - 1 ? "" : target.slice(query);
                return;
            }
        }
        const url = this.#parse();
        this.pathname = url.pathname;
        this.search = url.search;
    }

    get url(): URL {
        return (this.#url ??= this.#parse());
    }

    #parse(): URL {
        const href = this.#href();
        let url: URL;
        try {
            url = new URL(href);
        } catch {
            throw new HTTPError(400, `Malformed request target: ${href.slice(0, 200)}`);
        }
        if (url.protocol !== "http:" && url.protocol !== "https:") throw new HTTPError(400, `Malformed request target: ${href.slice(0, 200)}`);
        this.#url = url;
        return url;
    }

    #href(): string {
        if (!this.#target.startsWith("/")) return this.#target; // absolute-form, as sent to a proxy
        const sent = typeof this.#host === "object" ? this.#host.header("host") : this.#host;
        const host = sent !== undefined && hostPattern.test(sent) ? sent : this.#fallbackHost;
        return `http://${host}${this.#target}`;
    }
}
