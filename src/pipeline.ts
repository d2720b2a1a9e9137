import type { CorsPolicy } from "./cors.ts";
import { Deadlines } from "./deadlines.ts";
import { HTTPError } from "./errors.ts";
import { ErrorAnswers } from "./error-answers.ts";
import type { Limits } from "./limits.ts";
import { assertValidHost, RequestTarget } from "./request/target.ts";
import { readBody, refuseUnreadBody, type BodyRules } from "./request/read-body.ts";
import type { Answer, AnswerHeaders, AnswerSource, Deliver, ErrorLogger, Incoming, PromisePeek, StreamAnswer } from "./contract.ts";
import { notFulfilled } from "./symbols.ts";
import { textAnswer, withoutBody } from "./response/answer.ts";
import { startedWithin } from "./response/checked-body.ts";
import { withCookiesOf } from "./response/set-cookies.ts";
import { withResponseHeaders, withStatusRules } from "./response/response-head.ts";
import { toAnswer, type LongLived } from "./response/to-response.ts";
import type { RouteMatch, Router } from "./router/router.ts";
import type { StaticFiles } from "./static/static-files.ts";
import type { Compression } from "./response/compression.ts";
import { Params } from "./request/handler-params.ts";
import { UnroutedAnswers } from "./unrouted-answers.ts";

export interface PipelineConfig {
    router: Router;
    /** The static folders, or null for none. */
    staticFiles: StaticFiles | null;
    /** How answers are compressed, or null for never. */
    compression: Compression | null;
    limits: Limits;
    /** Whether a 500 carries the exception's message (else "Internal Server Error"; the error is logged either way). */
    exposeErrors: boolean;
    /** The CORS headers every answer starts from. */
    cors: CorsPolicy;
    /** The secrets that sign cookies (the first signs, all verify); empty: none configured. */
    secrets: readonly string[];
    /** Used when the Host header is missing or unusable. */
    fallbackHost: string;
    /** How the event streams and WebSockets that handlers return become answers, followed where the server keeps them. */
    longLived: LongLived;
    logError: ErrorLogger;
    /** How this runtime reads a fulfilled promise at once (Bun), or null. */
    peek?: PromisePeek | null;
}

/**
 * One request, start to finish: URL → route → body → handler → answer; or the static folder;
 * or 404/405/OPTIONS; and any throw → an error answer (through the `/errors/{code}` route if there is one).
 */
export class Pipeline implements AnswerSource {
    readonly #config: PipelineConfig;
    readonly #bodyRules: BodyRules;
    readonly #handlerDeadlines: Deadlines;
    readonly #maxUrlLength: number;
    /** The CORS headers of every answer when they do not depend on the request's Origin (null: they do). */
    readonly #fixedBase: Readonly<AnswerHeaders> | null;
    readonly #errors: ErrorAnswers;
    readonly #unrouted: UnroutedAnswers;

    constructor(config: PipelineConfig) {
        this.#config = { ...config };
        const { limits } = config;
        this.#bodyRules = { ...limits, silence: new Deadlines(limits.bodyTimeout) };
        this.#handlerDeadlines = new Deadlines(limits.handlerTimeout);
        this.#maxUrlLength = limits.maxUrlLength;
        this.#fixedBase = config.cors.byOrigin ? null : config.cors.headersFor(undefined);
        this.#errors = new ErrorAnswers({ ...config, router: () => this.#config.router });
        this.#unrouted = new UnroutedAnswers(() => this.#config.router, config.staticFiles);
    }

    /** The headers an answer to this request starts from (CORS). */
    #base(incoming: Incoming): Readonly<AnswerHeaders> {
        return this.#fixedBase ?? this.#config.cors.headersFor(incoming.header("origin"));
    }

    get router(): Router {
        return this.#config.router;
    }

    /** Swaps in a new route table (watch mode); requests already running keep the handler they found. */
    useRouter(router: Router): void {
        this.#config.router = router;
    }

    /**
     * Answers one request: `deliver` is called once with the answer, before this returns when no promise
     * is involved (no body, a handler that returns without one). A handler's promise goes straight to
     * `deliver` when it settles, with no promise of the pipeline's own between them: most requests are
     * small and their answer's cost is mostly such hops. Whatever fails, an answer is delivered.
     */
    answer(incoming: Incoming, deliver: Deliver): void {
        let target: RequestTarget;
        try {
            const sent = incoming.target; // a getter that slices the runtime's URL, on Deno and Bun
            if (sent === "*" && incoming.method === "OPTIONS") return this.#handOver(this.#unrouted.serverWide(incoming, this.#base(incoming)), deliver);
            if (sent.length > this.#maxUrlLength) throw new HTTPError(414, `URL longer than ${this.#maxUrlLength} characters (option maxUrlLength)`);
            const host = incoming.host;
            assertValidHost(host);
            target = new RequestTarget(sent, host, this.#config.fallbackHost, incoming);
        } catch (error) {
            return this.#deliverLater(this.#errorAnswer(error, incoming, undefined), deliver);
        }
        try {
            const { pathname } = target;
            const { router } = this.#config;
            const { method } = incoming;
            const match = router.match(method, pathname) ?? (method === "HEAD" ? router.match("GET", pathname) : null);
            if (match !== null) {
                if (!incoming.hasBody) return this.#run(incoming, target, match, null, deliver);
                readBody(incoming, this.#bodyRules).then(
                    (body) => this.#run(incoming, target, match, body, deliver),
                    (error: unknown) => this.#deliverLater(this.#errorAnswer(error, incoming, target), deliver),
                );
                return;
            }
            if (incoming.hasBody) refuseUnreadBody(incoming, this.#bodyRules.maxBodySize);
            const unrouted = this.#unrouted.answer(incoming, target, this.#base(incoming)).catch((error: unknown) => this.#errorAnswer(error, incoming, target));
            this.#deliverLater(unrouted.then((answer) => this.#forMethod(incoming, answer)), deliver);
        } catch (error) {
            this.#deliverLater(this.#errorAnswer(error, incoming, target), deliver);
        }
    }

    /**
     * Calls the handler (behind its middleware) and delivers its answer, with the cookies and headers the
     * handler set; a value returned without a promise is delivered at once. A handler that has not
     * answered within handlerTimeout gets a 503, and what it returns later is dropped.
     */
    #run(incoming: Incoming, target: RequestTarget, match: RouteMatch, body: unknown, deliver: Deliver): void {
        const params = new Params(target, body, match.route, incoming, this.#config.secrets);
        let value: unknown;
        try {
            value = match.handler(params);
        } catch (error) {
            return this.#deliverSettled(incoming, params, this.#errorAnswer(error, incoming, target), target, deliver);
        }
        if (!isThenable(value)) return this.#deliverSettled(incoming, params, this.#answer(incoming, match, value, params, target), target, deliver);
        const { peek } = this.#config;
        if (peek != null && value instanceof Promise) {
            const fulfilled = peek(value);
            if (fulfilled !== notFulfilled) return this.#deliverSettled(incoming, params, this.#answer(incoming, match, fulfilled, params, target), target, deliver);
        }
        const deadline = this.#handlerDeadlines.start(() => {
            const { timeout } = this.#handlerDeadlines;
            this.#deliverSettled(incoming, params, this.#errorAnswer(new HTTPError(503, `The handler did not answer within ${timeout} ms (option handlerTimeout)`), incoming, target), target, deliver);
        });
        // A thenable other than a promise is adopted by one, which calls its then() safely.
        (value instanceof Promise ? value : Promise.resolve(value)).then(
            (resolved) => (deadline === null || deadline.cancel()) && this.#deliverSettled(incoming, params, this.#answer(incoming, match, resolved, params, target), target, deliver),
            (error: unknown) => (deadline === null || deadline.cancel()) && this.#deliverSettled(incoming, params, this.#errorAnswer(error, incoming, target), target, deliver),
        );
    }

    /**
     * Delivers the answer with the cookies and headers the handler set (most set none: then the answer as
     * it is), compressed and cut for HEAD after them, so that what the handler set (Cache-Control, Vary…) counts.
     */
    #deliverSettled(incoming: Incoming, params: Params, answer: Answer | Promise<Answer>, target: RequestTarget, deliver: Deliver): void {
        const { responseHead, cookieJar } = params;
        const withHead = responseHead === undefined ? answer : answer instanceof Promise ? answer.then((ready) => withResponseHeaders(responseHead, ready)) : withResponseHeaders(responseHead, answer);
        const settled = cookieJar === undefined ? withHead : withCookiesOf(cookieJar, withHead, (error) => this.#errorAnswer(error, incoming, target));
        if (settled instanceof Promise) return this.#deliverLater(settled.then((ready) => this.#forMethod(incoming, ready)), deliver);
        let sent: Answer;
        try {
            sent = this.#forMethod(incoming, settled);
        } catch (error) {
            return this.#deliverLater(this.#errorAnswer(error, incoming, target), deliver);
        }
        this.#handOver(sent, deliver);
    }

    /** An answer still to come, delivered when it does; one that fails after all is a plain 500 (logged). */
    #deliverLater(answer: Promise<Answer>, deliver: Deliver): void {
        answer.then(
            (ready) => this.#handOver(ready, deliver),
            (error: unknown) => this.#handOver(this.#lastResort(error), deliver),
        );
    }

    /**
     * Every answer reaches the adapter here. An adapter whose delivery throws has failed on its own side
     * (its connection, its socket hand-over): the request has had its one answer, so the error is logged,
     * and not caught by the request's own error handling, which would deliver a second answer.
     */
    #handOver(answer: Answer, deliver: Deliver): void {
        try {
            deliver(answer);
        } catch (error) {
            this.#config.logError("Could not deliver an answer:", error);
        }
    }

    /** The answer when making an error answer failed too: plain text, no route, no handler involved. */
    #lastResort(error: unknown): Answer {
        this.#config.logError("Could not make an error answer:", error);
        return textAnswer(500, this.#fixedBase ?? {}, this.failureMessage(error));
    }

    /** The answer for a handler's value; a value that cannot be sent is the handler's error (a 500 naming it). */
    #answer(incoming: Incoming, match: RouteMatch, value: unknown, params: Params, target: RequestTarget): Answer | Promise<Answer> {
        let answer: Answer;
        try {
            answer = toAnswer(value, this.#base(incoming), this.#config.longLived, match.handler, incoming, params.responseHead?.status);
        } catch (error) {
            return this.#errorAnswer(error, incoming, target);
        }
        if (params.responseHead?.status !== undefined) answer = withStatusRules(answer);
        return answer.kind === "stream" && incoming.method !== "HEAD" ? this.#started(answer, (error) => this.#errorAnswer(error, incoming, target)) : answer;
    }

    /** A streamed answer once its first chunk has come (see checkedBody), within the handler's time limit. */
    #started(answer: StreamAnswer, fail: (error: unknown) => Promise<Answer>): Promise<Answer> {
        return startedWithin(this.#handlerDeadlines, answer.body, answer.headers["content-length"]).then((body) => ({ ...answer, body }), fail);
    }

    /** The answer compressed where the client asks for it; for HEAD, the GET answer's headers without its body. */
    #forMethod(incoming: Incoming, answer: Answer): Answer {
        const { compression } = this.#config;
        const sent = compression === null ? answer : compression.apply(answer, (name) => incoming.header(name));
        return incoming.method === "HEAD" ? withoutBody(sent) : sent;
    }

    #errorAnswer(error: unknown, incoming: Incoming, target: RequestTarget | undefined): Promise<Answer> {
        return this.#errors.answer(error, incoming, target, this.#base(incoming));
    }

    /** The body of the 500 an adapter sends when an answer could not be written (a header value it refused, say). */
    failureMessage(error: unknown): string {
        return this.#errors.failureMessage(error);
    }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
    return typeof (value as PromiseLike<unknown> | null)?.then === "function";
}
