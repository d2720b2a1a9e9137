/**
 * One request through node:http, its body as the bytes sent: fetch() would decode a compressed body
 * silently (and drop Content-Encoding's meaning), which is exactly what these tests look at.
 */
import { request } from "node:http";

export interface WireAnswer {
    status: number;
    headers: Record<string, string | string[] | undefined>;
    body: Buffer;
}

export function httpGet(port: number, pathname: string, headers: Record<string, string> = {}, method = "GET"): Promise<WireAnswer> {
    return new Promise((resolve, reject) => {
        // agent: false, so no kept-alive socket outlives the test file (Deno and Bun wait for it).
        const req = request({ host: "127.0.0.1", port, path: pathname, method, headers, agent: false }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (chunk: Buffer) => chunks.push(chunk));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
            res.on("error", reject);
        });
        req.on("error", reject);
        req.end();
    });
}
