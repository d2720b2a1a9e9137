import { HTTPError } from "../errors.ts";

// Characters the URL parser leaves as they are in a path; a path made only of them needs no parsing.
const plainPath = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/;
// …unless it has a "." or ".." segment (or an encoded one), which the parser would remove.
const dotSegment = /(?:^|\/)\.\.?(?:\/|$)|%2e/i;
// A host name or address and an optional port (RFC 9110 §7.2); empty is allowed, for a target with no authority.
const hostPattern = /^(?:[A-Za-z0-9.\-_]*|\[[0-9A-Fa-f:.]+\])(?::\d{0,5})?$/;

let lastValidHost = "";

/** Throws a 400 HTTPError unless the Host header, if any, is a host: on Deno it is part of the URL the target is read from. */
export function assertValidHost(host: string | undefined): void {
    if (host === undefined || host === lastValidHost) return; // a server hears the same Host again and again
    if (hostPattern.test(host)) lastValidHost = host;
    else throw new HTTPError(400, `Invalid Host header: ${JSON.stringify(host.slice(0, 200))}`);
}

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
    readonly #host: string | undefined;
    readonly #fallbackHost: string;
    /** Read only when the URL is made: whether the request came over HTTPS (`https:` URLs). */
    readonly #scheme: { readonly secure: boolean } | undefined;
    #url: URL | undefined;

    /** `host`: the Host header, already checked (assertValidHost); without one, `fallbackHost` makes the URL. */
    constructor(target: string, host: string | undefined, fallbackHost: string, scheme?: { readonly secure: boolean }) {
        this.#target = target;
        this.#host = host;
        this.#fallbackHost = fallbackHost;
        this.#scheme = scheme;
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
        return `${this.#scheme?.secure === true ? "https" : "http"}://${this.#host || this.#fallbackHost}${this.#target}`;
    }
}
