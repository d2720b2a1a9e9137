/**
 * An HTTP/2 stream's request, through node:http2's compatibility objects, as an `Incoming`. What
 * differs from HTTP/1.1: the Host is the `:authority` pseudo-header; a body needs no Content-Length (the
 * stream's end marks its end); the header list starts with pseudo-headers; and a response is marked
 * finished when its stream closes, whether the answer went out or the client reset the stream.
 */
import { constants, type Http2ServerRequest, type Http2ServerResponse } from "node:http2";
import { headersFromRaw, NodeIncoming, NodeRequestInfo } from "./incoming.ts";

class H2RequestInfo extends NodeRequestInfo {
    declare protected readonly req: Http2ServerRequest;
    declare protected readonly res: Http2ServerResponse;
    #headers: Headers | undefined;

    // The pseudo-headers (:method, :path, :scheme, :authority) are the request line's: a Headers object
    // refuses their names, and headersFromRaw leaves them out as it does any header it refuses. A handler
    // that reads the Host finds the authority there, as on HTTP/1.1.
    override get headers(): Headers {
        if (this.#headers === undefined) {
            const headers = (this.#headers = headersFromRaw(this.req.rawHeaders));
            const authority = this.req.headers[":authority"];
            if (authority !== undefined && !headers.has("host")) headers.set("host", authority);
        }
        return this.#headers;
    }

    protected override closed(): boolean {
        return this.res.stream.closed;
    }

    // The stream's close code tells an answer sent whole from a stream the client reset (CANCEL) or lost.
    protected override answered(): boolean {
        return this.res.writableEnded && this.res.stream.rstCode === constants.NGHTTP2_NO_ERROR;
    }
}

export class H2Incoming extends NodeIncoming {
    declare protected readonly req: Http2ServerRequest;
    declare protected readonly res: Http2ServerResponse;
    #info: H2RequestInfo | undefined;

    override get info(): H2RequestInfo {
        return (this.#info ??= new H2RequestInfo(this.req, this.res, this.trustProxy));
    }

    // RFC 9113 §8.3.1: clients send :authority rather than a Host header (which they may still send).
    override get host(): string | undefined {
        return this.req.headers[":authority"] ?? this.req.headers.host;
    }

    override header(name: string): string | undefined {
        return name === "host" ? this.host : super.header(name);
    }

    // RFC 9113 §8.1: a request without a body ends its stream with its headers; Content-Length is optional.
    override get hasBody(): boolean {
        const length = this.req.headers["content-length"];
        return length === undefined ? !this.req.stream.endAfterHeaders : length !== "0";
    }
}
