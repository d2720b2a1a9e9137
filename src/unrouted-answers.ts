/**
 * The answers to a request no route matched: an OPTIONS preflight (and `OPTIONS *`), a static file,
 * 405 with the methods the path does answer, or 404.
 */
import type { Answer, AnswerHeaders, Incoming } from "./contract.ts";
import { preflightHeaders } from "./cors.ts";
import { HTTPError } from "./errors.ts";
import type { RequestTarget } from "./request/target.ts";
import { assertDecodable, type Router } from "./router/router.ts";
import type { StaticFiles } from "./static/static-files.ts";

export class UnroutedAnswers {
    /** The route table of the moment (watch mode swaps it). */
    readonly #router: () => Router;
    readonly #staticFiles: StaticFiles | null;

    constructor(router: () => Router, staticFiles: StaticFiles | null) {
        this.#router = router;
        this.#staticFiles = staticFiles;
    }

    /** `base`: the headers the answer starts from (CORS). A 405 or 404 is thrown, as an HTTPError. */
    async answer(incoming: Incoming, target: RequestTarget, base: Readonly<AnswerHeaders>): Promise<Answer> {
        const { method } = incoming;
        const pathname = target.pathname;
        assertDecodable(pathname);
        if (method === "OPTIONS") {
            return { kind: "bytes", status: 204, headers: preflightHeaders(base, incoming.header("access-control-request-headers"), this.#allowed(pathname)), body: null };
        }
        if ((method === "GET" || method === "HEAD") && this.#staticFiles !== null) {
            const answer = await this.#staticFiles.answer(pathname, target.search, (name) => incoming.header(name), base);
            if (answer !== null) return answer;
        }
        const allowed = this.#allowed(pathname);
        if (allowed.length > 0) throw new HTTPError(405, `Method ${method} is not allowed for ${pathname} (allowed: ${allowed.join(", ")})`, { allow: allowed.join(", ") });
        throw new HTTPError(404, `Not Found: ${pathname}`);
    }

    /** `OPTIONS *` asks about the server as a whole (RFC 9110 §9.3.7): the methods some route answers. */
    serverWide(incoming: Incoming, base: Readonly<AnswerHeaders>): Answer {
        const allowed = asAllowed(this.#router().methods);
        return { kind: "bytes", status: 204, headers: preflightHeaders(base, incoming.header("access-control-request-headers"), allowed), body: null };
    }

    /** The methods answered at a path, as an `Allow` header lists them. */
    #allowed(pathname: string): string[] {
        return asAllowed(this.#router().methodsAt(pathname));
    }
}

/** Route methods as `Allow` lists them: HEAD wherever GET is, OPTIONS always, sorted; none for no routes. */
function asAllowed(routeMethods: string[]): string[] {
    const methods = new Set(routeMethods);
    if (methods.size === 0) return [];
    if (methods.has("GET")) methods.add("HEAD");
    methods.add("OPTIONS");
    return [...methods].sort();
}
