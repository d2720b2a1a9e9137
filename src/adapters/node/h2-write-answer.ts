/**
 * The pipeline's `Answer` written to an HTTP/2 stream, through node:http2's compatibility response: as
 * on HTTP/1.1 (write-answer.ts), but for the headers of one HTTP/1.1 connection, which HTTP/2 has no
 * use for and node:http2 refuses to send (ERR_HTTP2_INVALID_CONNECTION_HEADERS, thrown by writeHead).
 */
import { constants, type Http2ServerResponse } from "node:http2";
import type { Answer, AnswerHeaders } from "../../contract.ts";
import { StreamSink, type StartingSink } from "./event-sink.ts";
import type { NodeIncoming, NodeRequest, NodeResponse } from "./incoming.ts";
import { AnswerWriter } from "./write-answer.ts";

/** RFC 9113 §8.2.2: the connection-specific header fields, which an HTTP/2 message must not carry. */
const connectionHeaders = ["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te"];

export class H2AnswerWriter extends AnswerWriter {
    // Only the 426 of a WebSocket route carries such headers (Upgrade, Connection): a Response's are left out already.
    override write(req: NodeRequest, res: NodeResponse, incoming: NodeIncoming, answer: Answer): void {
        super.write(req, res, incoming, withoutConnectionHeaders(answer));
    }

    // No `connection: close`: at shutdown the session's GOAWAY says it (secure-server.ts), and a stream
    // whose body was left unread is reset once its answer is out (the socket of node:http2's request
    // stands for its stream: destroying it ends the stream, not the session).
    protected override closingHeaders(headers: Readonly<AnswerHeaders>): Readonly<AnswerHeaders> {
        return headers;
    }

    // node:http2 keeps a header it refused until the stream ends, so the 500 can be refused in turn:
    // then the stream alone is reset, rather than the error escaping.
    override fail(res: NodeResponse, error: unknown): void {
        try {
            super.fail(res, error);
        } catch {
            (res as Http2ServerResponse).stream.close(constants.NGHTTP2_INTERNAL_ERROR);
        }
    }

    protected override eventSink(res: NodeResponse): StartingSink {
        return new StreamSink(res as Http2ServerResponse);
    }
}

function withoutConnectionHeaders(answer: Answer): Answer {
    const { headers } = answer;
    if (!connectionHeaders.some((name) => Object.hasOwn(headers, name))) return answer;
    const kept = { ...headers };
    for (const name of connectionHeaders) delete kept[name];
    return { ...answer, headers: kept };
}
