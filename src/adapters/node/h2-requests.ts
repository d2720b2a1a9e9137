/**
 * HTTP/2 streams' requests into the pipeline and their answers out, as node:http2's compatibility API
 * hands them over: read by H2Incoming, written by H2AnswerWriter. The steps are NodeServer's for
 * HTTP/1.1 (server.ts), kept apart so that plain HTTP's path does no work for HTTP/2.
 */
import { constants, type Http2ServerRequest, type Http2ServerResponse } from "node:http2";
import { timeRequest } from "../../access-log.ts";
import type { AccessLogSink, Answer, AnswerSource } from "../../contract.ts";
import { H2Incoming } from "./h2-incoming.ts";
import type { H2AnswerWriter } from "./h2-write-answer.ts";

export interface H2RequestsOptions {
    answers: AnswerSource;
    accessLog: AccessLogSink | null;
    writer: H2AnswerWriter;
    maxBodySize: number;
    trustProxy: number;
}

export class H2Requests {
    readonly #answers: AnswerSource;
    readonly #accessLog: AccessLogSink | null;
    readonly #writer: H2AnswerWriter;
    readonly #maxBodySize: number;
    readonly #trustProxy: number;

    constructor({ answers, accessLog, writer, maxBodySize, trustProxy }: H2RequestsOptions) {
        this.#answers = answers;
        this.#accessLog = accessLog;
        this.#writer = writer;
        this.#maxBodySize = maxBodySize;
        this.#trustProxy = trustProxy;
    }

    handle(req: Http2ServerRequest, res: Http2ServerResponse, awaitsContinue: boolean): void {
        if (this.#accessLog !== null) {
            const ended = timeRequest(this.#accessLog, req.method, req.url);
            res.once("close", () => ended(res.statusCode)); // the stream's close: the answer is out, or the client reset it
        }
        const incoming = new H2Incoming(req, res, this.#maxBodySize, awaitsContinue, this.#trustProxy);
        const answer = this.#answers.answer(incoming);
        if (answer instanceof Promise) {
            answer.then(
                (ready) => this.#write(req, res, incoming, ready),
                (error: unknown) => this.#writer.fail(res, error),
            );
        } else {
            this.#write(req, res, incoming, answer);
        }
    }

    /**
     * WebSockets are not offered over HTTP/2 (RFC 8441's extended CONNECT): a browser opens an HTTP/1.1
     * connection for them. No socket answer can come here anyway (node:http2 refuses a request with the
     * Connection header a WebSocket handshake needs); were one to, HTTP_1_1_REQUIRED tells the client
     * to ask again over HTTP/1.1.
     */
    #write(req: Http2ServerRequest, res: Http2ServerResponse, incoming: H2Incoming, answer: Answer): void {
        if (answer.kind !== "socket") return this.#writer.write(req, res, incoming, answer);
        answer.socket.gone(1006, "");
        res.stream.close(constants.NGHTTP2_HTTP_1_1_REQUIRED);
    }
}
