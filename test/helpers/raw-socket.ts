import { createHash, randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";

/** A frame as the server sent it. */
export interface Frame {
    fin: boolean;
    opcode: number;
    payload: Buffer;
}

/** A WebSocket spoken byte by byte, to send what no client library would: unmasked frames, bad opcodes, broken UTF-8. */
export interface RawSocket {
    socket: Socket;
    /** The frames received so far. */
    frames: Frame[];
    /** Sends one frame: masked unless `mask: false`. */
    send(opcode: number, payload: Buffer | string, options?: { fin?: boolean; mask?: boolean; rsv?: number; length?: number }): void;
    /** Resolves with the first frame that `match` accepts (waiting for it). */
    next(match: (frame: Frame) => boolean, ms?: number): Promise<Frame>;
    /** Resolves once the server has closed the TCP connection. */
    ended: Promise<void>;
}

export const opcodes = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

/** The code of a close frame. */
export const closeCode = (frame: Frame) => (frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005);

/** Opens `path` with a hand-written handshake; resolves once the server answered 101. */
export function openRawSocket(port: number, path: string, { read = true }: { read?: boolean } = {}): Promise<RawSocket> {
    const key = randomBytes(16).toString("base64");
    const socket = connect(port, "127.0.0.1");
    const frames: Frame[] = [];
    const waiters = new Set<() => void>();
    let buffered = Buffer.alloc(0);
    let handshaken = false;
    const ended = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    socket.on("error", () => {});
    return new Promise((resolve, reject) => {
        socket.on("data", (chunk: Buffer) => {
            buffered = Buffer.concat([buffered, chunk]);
            if (!handshaken) {
                const end = buffered.indexOf("\r\n\r\n");
                if (end === -1) return;
                const head = buffered.subarray(0, end).toString("latin1");
                buffered = buffered.subarray(end + 4);
                const accept = createHash("sha1").update(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
                if (!head.startsWith("HTTP/1.1 101") || !head.toLowerCase().includes(`sec-websocket-accept: ${accept.toLowerCase()}`)) return reject(new Error(`no 101: ${JSON.stringify(head)} (expected accept ${accept})`));
                handshaken = true;
                if (!read) socket.pause();
                resolve(raw);
            }
            for (let frame = parseFrame(buffered); frame !== undefined; frame = parseFrame(buffered)) {
                frames.push(frame.frame);
                buffered = buffered.subarray(frame.size);
            }
            waiters.forEach((waiter) => waiter());
        });
        socket.once("close", () => reject(new Error("closed before the handshake")));
        socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
        const raw: RawSocket = {
            socket,
            frames,
            ended,
            send(opcode, payload, { fin = true, mask = true, rsv = 0, length } = {}) {
                const data = typeof payload === "string" ? Buffer.from(payload) : payload;
                const size = length ?? data.length;
                const head = [(fin ? 0x80 : 0) | (rsv << 4) | opcode];
                const maskBit = mask ? 0x80 : 0;
                let extended = Buffer.alloc(0);
                if (size < 126) head.push(maskBit | size);
                else if (size < 65536) (head.push(maskBit | 126), (extended = Buffer.alloc(2)), extended.writeUInt16BE(size));
                else (head.push(maskBit | 127), (extended = Buffer.alloc(8)), extended.writeBigUInt64BE(BigInt(size)));
                const maskKey = mask ? randomBytes(4) : Buffer.alloc(0);
                const body = Buffer.from(data.map((byte, index) => (mask ? byte ^ maskKey[index % 4]! : byte)));
                socket.write(Buffer.concat([Buffer.from(head), extended, maskKey, body]));
            },
            next(match, ms = 5000) {
                return new Promise((done, fail) => {
                    const check = () => {
                        const found = frames.find(match);
                        if (found === undefined) return;
                        waiters.delete(check);
                        clearTimeout(timer);
                        done(found);
                    };
                    const timer = setTimeout(() => (waiters.delete(check), fail(new Error(`no such frame within ${ms} ms; got ${JSON.stringify(frames.map((frame) => [frame.opcode, frame.payload.toString()]))}`))), ms);
                    waiters.add(check);
                    check();
                });
            },
        };
    });
}

function parseFrame(buffer: Buffer): { frame: Frame; size: number } | undefined {
    if (buffer.length < 2) return undefined;
    let length = buffer[1]! & 0x7f;
    let offset = 2;
    if (length === 126) {
        if (buffer.length < 4) return undefined;
        length = buffer.readUInt16BE(2);
        offset = 4;
    } else if (length === 127) {
        if (buffer.length < 10) return undefined;
        length = Number(buffer.readBigUInt64BE(2));
        offset = 10;
    }
    if (buffer.length < offset + length) return undefined;
    return { frame: { fin: (buffer[0]! & 0x80) !== 0, opcode: buffer[0]! & 0x0f, payload: buffer.subarray(offset, offset + length) }, size: offset + length };
}
