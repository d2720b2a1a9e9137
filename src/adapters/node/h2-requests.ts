/**
 * HTTP/2 streams' requests into the pipeline and their answers out, on node:http2's core API (the
 * server's "stream" event; secure-server.ts routes it here): read by H2Incoming, written by
 * H2AnswerWriter. The steps are NodeServer's for HTTP/1.1 (server.ts), kept apart so that plain HTTP's
 * path does no work for HTTP/2, and HTTP/2's builds none of node:http2's compatibility objects.
 */
import { constants, type ServerHttp2Stream } from "node:http2";
import { timeRequest } from "../../access-log.ts";
import type { AccessLogSink, Answer, AnswerSource } from "../../contract.ts";
import { H2Incoming, type H2Headers } from "./h2-incoming.ts";
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

    handle(stream: ServerHttp2Stream, headers: H2Headers): void {
        // A stream's error ends in its close, whose code the request's signal and the access log read;
        // unheard, the error would end the process (node:http2's compatibility layer ignores it alike).
        stream.on("error", ignore);
        if (refusedExpectation(stream, headers)) return;
        if (this.#accessLog !== null) {
            const ended = timeRequest(this.#accessLog, headers[":method"] ?? "GET", headers[":path"] ?? "/");
            // The stream's close: the answer is out, or the client reset it (200, as node:http reports a response never started).
            stream.once("close", () => ended(Number(stream.sentHeaders?.[":status"] ?? 200)));
        }
        const incoming = new H2Incoming(stream, headers, this.#maxBodySize, this.#trustProxy);
        this.#answers.answer(incoming, (answer) => this.#write(stream, incoming, answer));
    }

    /**
     * WebSockets are not offered over HTTP/2 (RFC 8441's extended CONNECT): a browser opens an HTTP/1.1
     * connection for them. No socket answer can come here anyway (node:http2 refuses a request with the
     * Connection header a WebSocket handshake needs); were one to, HTTP_1_1_REQUIRED tells the client
     * to ask again over HTTP/1.1.
     */
    #write(stream: ServerHttp2Stream, incoming: H2Incoming, answer: Answer): void {
        if (answer.kind !== "socket") return this.#writer.write(stream, incoming, answer);
        answer.socket.gone(1006, "");
        stream.close(constants.NGHTTP2_HTTP_1_1_REQUIRED);
    }
}

function ignore(): void {}

/** RFC 9110 §10.1.1: an expectation other than 100-continue is answered 417, as node:http and node:http2's compatibility API do. */
function refusedExpectation(stream: ServerHttp2Stream, headers: H2Headers): boolean {
    const expect = headers.expect;
    if (expect === undefined || expect.toLowerCase() === "100-continue") return false;
    stream.respond({ ":status": 417 }, { endStream: true });
    return true;
}
