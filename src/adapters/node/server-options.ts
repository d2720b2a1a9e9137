/**
 * The limits node:http and node:http2 enforce themselves, before a request reaches the pipeline: the
 * header size and the timeouts of HTTP/1.1 (431, 408), and HTTP/2's own bounds on a connection.
 */
import type { ServerOptions } from "node:http";
import type { SecureServerOptions } from "node:http2";
import type { ConnectionLimits } from "../../contract.ts";

/** What node:http reads from its options; the HTTP/1.1 connections of an HTTPS server read the same, as properties of that server. */
export type Http1Bounds = Required<Pick<ServerOptions, "maxHeaderSize" | "headersTimeout" | "requestTimeout" | "keepAliveTimeout" | "connectionsCheckingInterval" | "requireHostHeader">>;

export function http1Bounds({ maxHeaderSize, headersTimeout, requestTimeout, keepAliveTimeout }: ConnectionLimits): Http1Bounds {
    // node:http refuses a headersTimeout longer than a (non-zero) requestTimeout.
    const headers = requestTimeout > 0 && (headersTimeout === 0 || headersTimeout > requestTimeout) ? requestTimeout : headersTimeout;
    // How often node:http looks for connections past those timeouts (30 s by default, which would triple a 10 s bound).
    const shortest = Math.min(...[headers, requestTimeout].filter((timeout) => timeout > 0), 4000);
    return {
        maxHeaderSize,
        headersTimeout: headers,
        requestTimeout,
        keepAliveTimeout,
        connectionsCheckingInterval: Math.max(10, Math.floor(shortest / 4)),
        requireHostHeader: true, // node:http's default, named so that the HTTPS server's HTTP/1.1 connections get it too
    };
}

/**
 * Streams open at once on one HTTP/2 connection. 128 is nginx's default (http2_max_concurrent_streams):
 * above the 100 that RFC 9113 §6.5.2 advises as a floor, so that a browser loading a page's assets in
 * parallel is never held back, while one connection can hold at most 128 handlers, bodies and header
 * lists at a time (HTTP/1.1 holds one per connection).
 */
export const maxConcurrentStreams = 128;

/** HTTP/2's default flow-control window: what a client may send on a stream before the server reads any of it. */
const initialWindow = 65_535;

/**
 * node:http2's options for an HTTPS server that speaks HTTP/2 to clients that offer it in ALPN and
 * HTTP/1.1 to the others (`allowHTTP1`), on the same port.
 */
export function http2Options(limits: ConnectionLimits): SecureServerOptions {
    const { maxHeaderSize, headersTimeout } = limits;
    return {
        allowHTTP1: true,
        settings: {
            maxConcurrentStreams,
            // The HTTP/2 counterpart of maxHeaderSize (RFC 9113 §6.5.2: names and values, plus 32 bytes a field);
            // a stream over it is reset (there is no 431 for a header list the server never decoded whole).
            maxHeaderListSize: maxHeaderSize,
        },
        // Streams the server may open itself: it opens none (no server push), bounded alike all the same.
        peerMaxConcurrentStreams: maxConcurrentStreams,
        // node:http takes up to 2000 header lines (maxHeadersCount); node:http2 stops at 128 by default.
        maxHeaderListPairs: 2000,
        // Room, in MB, for every stream at once to hold a full header list and a flow-control window of
        // unread body; never below node:http2's default of 10. Past it, new streams are refused.
        maxSessionMemory: Math.max(10, Math.ceil((maxConcurrentStreams * (maxHeaderSize + initialWindow)) / 1024 ** 2)),
        // The TLS handshake comes before the headers and is bounded as they are: a client that opens a
        // connection and stalls holds it no longer (tls.Server's own bound is 120 s).
        ...(headersTimeout > 0 ? { handshakeTimeout: headersTimeout } : {}),
    };
}
