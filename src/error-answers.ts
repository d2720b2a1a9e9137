/**
 * A throw → its answer: the `/errors/{code}` route's, if the routes have one, else the message as plain
 * text. Failures are logged; a refusal (an HTTPError below 500) is not.
 */
import type { Answer, AnswerHeaders, ErrorLogger, Incoming } from "./contract.ts";
import { describeError, isHTTPError } from "./errors.ts";
import { Params } from "./request/handler-params.ts";
import type { RequestTarget } from "./request/target.ts";
import { textAnswer } from "./response/answer.ts";
import { toAnswer, type LongLived } from "./response/to-response.ts";
import type { Router } from "./router/router.ts";

export interface ErrorAnswersConfig {
    /** The route table of the moment (watch mode swaps it). */
    router: () => Router;
    /** Whether a 500 carries the exception's message (else "Internal Server Error"; the error is logged either way). */
    exposeErrors: boolean;
    secrets: readonly string[];
    longLived: LongLived;
    logError: ErrorLogger;
}

export class ErrorAnswers {
    readonly #config: ErrorAnswersConfig;

    constructor(config: ErrorAnswersConfig) {
        this.#config = config;
    }

    /** `base`: the headers the answer starts from (CORS); `target`: undefined when the URL itself was refused. */
    async answer(error: unknown, incoming: Incoming, target: RequestTarget | undefined, base: Readonly<AnswerHeaders>): Promise<Answer> {
        const description = describeError(error);
        const { status, headers } = description;
        let { message } = description;
        // A failure is logged (an exception, or an HTTPError that carries the failure it stands for); a refusal is not.
        if (status === 500 || (status > 500 && (error as Error | undefined)?.cause !== undefined)) {
            this.#config.logError(`${incoming.method} ${target?.pathname ?? incoming.target} failed:`, error);
            if (!this.#config.exposeErrors && !isHTTPError(error)) message = "Internal Server Error";
        }
        const withHeaders = { ...base, ...headers };
        const errorRoute = target && this.#errorRoute(incoming.method, status);
        if (errorRoute) {
            try {
                const value = await errorRoute.handler(new Params(target!, message, errorRoute.route, incoming, this.#config.secrets));
                return toAnswer(value, withHeaders, this.#config.longLived, errorRoute.handler, incoming, status);
            } catch (routeError) {
                this.#config.logError(`The error route ${errorRoute.route.path} failed:`, routeError);
            }
        }
        return textAnswer(status, withHeaders, message);
    }

    /** The body of the 500 an adapter sends when an answer could not be written (a header value it refused, say). */
    failureMessage(error: unknown): string {
        return this.#config.exposeErrors ? `Could not send the answer: ${error instanceof Error ? error.message : String(error)}` : "Internal Server Error";
    }

    #errorRoute(method: string, status: number) {
        const router = this.#config.router();
        const pathname = `/errors/${status}`;
        return router.match(method, pathname) ?? router.match("GET", pathname);
    }
}
