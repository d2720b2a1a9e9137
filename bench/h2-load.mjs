// HTTP/2 for run.mjs: one exchange with node:http2's client (for the checks and the warm-up), and a timed
// load with h2load (Debian's nghttp2-client), which multiplexes streams over each TLS connection.
import { execFileSync } from "node:child_process";
import http2 from "node:http2";

/** Streams kept in flight on each h2load connection (`-m`). */
export const streamsPerConnection = 10;

/**
 * One request over a fresh HTTP/2 session (the certificate is the run's self-signed one, so unchecked).
 * Resolves to { status, headers, rawHeaderBytes, body }, or rejects when the server did not choose h2 by ALPN.
 */
export function h2Exchange(port, { method, path, headers, body }) {
    return new Promise((resolve, reject) => {
        const session = http2.connect(`https://127.0.0.1:${port}`, { rejectUnauthorized: false, ALPNProtocols: ["h2"] });
        session.on("error", reject);
        session.on("connect", () => {
            if (session.alpnProtocol !== "h2") {
                session.destroy();
                reject(new Error(`the server chose ${session.alpnProtocol} by ALPN, not h2`));
            }
        });
        const stream = session.request({ ":method": method, ":path": path, ...headers }, { endStream: body === undefined });
        let head;
        const chunks = [];
        stream.on("response", (received) => (head = received));
        stream.on("data", (chunk) => chunks.push(chunk));
        stream.on("error", reject);
        stream.on("end", () => {
            session.close();
            const { ":status": status, ...rest } = head;
            // HPACK makes the bytes on the wire smaller than the text: this is the uncompressed size, as HTTP/1.1 would send it.
            const rawHeaderBytes = Object.entries(rest).reduce((sum, [name, value]) => sum + name.length + String(value).length + 4, 0);
            resolve({ status, headers: rest, rawHeaderBytes, body: Buffer.concat(chunks) });
        });
        if (body !== undefined) stream.end(body);
    });
}

/**
 * `h2load` for `seconds` with `connections` TLS connections of `streamsPerConnection` streams each, on one
 * thread; `pin` wraps the command (taskset). Throws on any failed, errored or timed-out request or any
 * answer that is not 2xx. Returns { rps, meanMs } (h2load prints no percentiles).
 */
export function h2Load(pin, port, { method, path, headers, body }, seconds, connections) {
    if (method !== "GET" || body !== undefined) throw new Error("the h2 load sends GETs only");
    const args = ["h2load", "-D", String(seconds), "-c", String(connections), "-m", String(streamsPerConnection), "-t", "1"];
    for (const [name, value] of Object.entries(headers)) args.push("-H", `${name}: ${value}`);
    args.push(`https://127.0.0.1:${port}${path}`);
    const [command, ...rest] = pin(args);
    const output = runBounded(command, rest, seconds);
    const finished = /finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(output);
    const requests = /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(output);
    const codes = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(output);
    const protocol = /Application protocol: (\S+)/.exec(output);
    if (!finished || !requests || !codes) throw new Error(`h2load printed no figures:\n${output}`);
    if (protocol?.[1] !== "h2") throw new Error(`h2load spoke ${protocol?.[1] ?? "no protocol"}, not h2:\n${output}`);
    const [, , , , succeeded, failed, errored, timeout] = requests.map(Number);
    const [, , redirects, clientErrors, serverErrors] = codes.map(Number);
    if (failed + errored + timeout > 0 || redirects + clientErrors + serverErrors > 0 || succeeded === 0) {
        throw new Error(`errors during the h2 run: ${requests[0]}; ${codes[0]}`);
    }
    const mean = /time for request:\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)\s/.exec(output);
    return { rps: Number(finished[1]), meanMs: mean ? Number(mean[1]) * (mean[2] === "us" ? 0.001 : mean[2] === "s" ? 1000 : 1) : undefined };
}

/**
 * h2load, killed if it runs 30 s past its duration, and run once more then. Twice in smoke runs (once in a
 * CI run of this harness) one h2load connection went on sending requests long after `-D` had passed, the
 * server answering each, and the harness waited for ever; the second run is a fresh h2load.
 */
function runBounded(command, args, seconds) {
    const options = { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: (seconds + 30) * 1000, killSignal: "SIGKILL" };
    try {
        return execFileSync(command, args, options);
    } catch (error) {
        if (error.code !== "ETIMEDOUT") throw error;
        console.error(`  (h2load was still running ${seconds + 30} s after a ${seconds} s run: killed, and run again)`);
        return execFileSync(command, args, options);
    }
}
