import { STATUS_CODES } from "node:http";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { httpErrorBrand } from "./symbols.ts";


/**
 * Throw it from a handler to answer with `status` and `message` as plain text,
 * e.g. `throw new HTTPError(403, "Forbidden Access")`. `headers` are added to the answer
 * (`{ "Retry-After": "60" }` with a 429, say).
 */
export class HTTPError extends Error {
    readonly status: number;
    readonly headers: Readonly<Record<string, string>>;

    constructor(status: number, message: string = STATUS_CODES[status] ?? "Error", headers: Record<string, string> = {}) {
        super(message);
        this.name = "HTTPError";
        this.status = isValidStatus(status) ? status : 500;
        this.headers = lowerCaseNames(headers);
    }

    get [httpErrorBrand](): true {
        return true;
    }
}

/** Header names as answers carry them: lower-case. */
export function lowerCaseNames(headers: Record<string, string>): Record<string, string> {
    const result: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) result[name.toLowerCase()] = value;
    return result;
}

function isValidStatus(status: number): boolean {
    return Number.isInteger(status) && status >= 400 && status <= 599;
}

export function isHTTPError(value: unknown): value is HTTPError {
    return value instanceof HTTPError || (typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[httpErrorBrand] === true);
}

export interface ErrorDescription {
    status: number;
    message: string;
    headers: Readonly<Record<string, string>>;
}

const noHeaders: Readonly<Record<string, string>> = Object.freeze({});

/** What any thrown value becomes on the wire: an HTTPError as it says, anything else a 500 with its message. */
export function describeError(error: unknown): ErrorDescription {
    if (isHTTPError(error)) return { status: error.status, message: error.message, headers: error.headers ?? noHeaders };
    if (error instanceof Error) return { status: 500, message: error.message, headers: noHeaders };
    return { status: 500, message: String(error), headers: noHeaders };
}

const packageDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/**
 * A mistake found while starting (a missing folder, a bad route file, a port in use).
 * Its stack keeps only the caller's frames: the user sees their own line, never the framework's insides.
 */
export class StartupError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "StartupError";
        this.stack = (this.stack ?? "")
            .split("\n")
            .filter((line, index) => index === 0 || !line.includes(packageDir))
            .join("\n");
    }
}
