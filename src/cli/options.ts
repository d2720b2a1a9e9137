import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { environmentDefaults, numberOptions, optionDefaults, type NumberOption, type WholeNumberRule } from "../options.ts";
import type { StartOptions, StaticFolderOption } from "../types.ts";

/** The flags that set a number option of startHTTPServer, in the order they are checked; each takes its option's default and range. */
const numberFlags = {
    "shutdown-timeout": "shutdownTimeout",
    heartbeat: "heartbeatInterval",
    "channel-history": "channelHistory",
    "channels-kept": "channelsKept",
    "redis-timeout": "redisTimeout",
    "trust-proxy": "trustProxy",
    "static-max-age": "staticMaxAge",
} as const satisfies Record<string, NumberOption>;
type NumberFlag = keyof typeof numberFlags;
type NumberFlagOption = (typeof numberFlags)[NumberFlag];

const numberFlagSyntax = Object.fromEntries(Object.keys(numberFlags).map((flag) => [flag, { type: "string" }])) as Record<NumberFlag, { type: "string" }>;
const defaultOf = (flag: NumberFlag) => numberOptions[numberFlags[flag]].default;
/** `--workers N`: the CLI's own flag, one process unless given. */
const workerRule: WholeNumberRule = { default: 1, min: 1, max: 1024 };

export const usage = `Usage: vshs [routes-dir] [options]
       vshs init [dir]

Serves a folder of route files (default: ./routes) as a REST and Server-Sent Events API.

Options:
  --static DIR[=/PREFIX]  serve the files of DIR (under /PREFIX) when no route matches;
                          repeat it for several folders, tried in order
  --static-max-age S      static files may be cached for S seconds (default: ${defaultOf("static-max-age")})
  --port N                port to listen on (default: $PORT or ${numberOptions.port.default}; 0 picks a free one)
  --host H                address to listen on (default: $HOST or ${optionDefaults.hostname})
  --watch                 reload route files when they change, without a restart
  --workers N             run N processes on the port ("auto": one per core)
  --quiet                 no access log
  --shutdown-timeout MS   on Ctrl-C or SIGTERM, wait at most MS ms for requests in flight (default: ${defaultOf("shutdown-timeout")})
  --heartbeat MS          a comment line on event streams quiet for MS ms; 0: none (default: ${defaultOf("heartbeat")})
  --channel-history N     events each channel keeps for clients that reconnect (default: ${defaultOf("channel-history")})
  --channels-kept N       how many channels keep them: the N most recently published to (default: ${defaultOf("channels-kept")})
  --redis URL             channels and rate limits travel through this Redis server (default: $REDIS_URL)
  --redis-timeout MS      a Redis command not answered within MS ms fails; 0: no limit (default: ${defaultOf("redis-timeout")})
  --secret-file FILE      sign cookies with the secret in FILE (one per line: the first signs,
                          all verify; default: $VSHS_SECRET)
  --trust-proxy N         believe N proxies in front about the client's address (default: ${defaultOf("trust-proxy")})
  --tls-cert FILE         serve HTTPS (and HTTP/2) with this PEM certificate...
  --tls-key FILE          ...and this PEM key
  --https                 serve HTTPS with a self-signed certificate for localhost, made once
  --no-compress           send answers uncompressed (a proxy in front compresses them)
  -h, --help              show this help
  -v, --version           show the version

Commands:
  init [dir]              create a starter project in dir (default: the current folder)`;

export type Command =
    | { kind: "help" }
    | { kind: "version" }
    | { kind: "init"; dir: string }
    | { kind: "serve"; options: ServeOptions };

export interface ServeOptions {
    routes: string;
    /** The static folders, absolute, in the order given (none: empty). */
    static: Required<StaticFolderOption>[];
    /** HTTPS's certificate and key files, "local" for --https (a self-signed one the CLI makes), or null for HTTP. */
    tls: { cert: string; key: string } | "local" | null;
    compress: boolean;
    staticMaxAge: number;
    port: number;
    host: string;
    watch: boolean;
    workers: number;
    quiet: boolean;
    shutdownTimeout: number;
    heartbeatInterval: number;
    channelHistory: number;
    channelsKept: number;
    redisTimeout: number;
    trustProxy: number;
    redisUrl: string | undefined;
    /** Read when the server starts (each worker reads it too). */
    secretFile: string | undefined;
}

/** A mistake on the command line: printed as one line, exit code 1. */
export class UsageError extends Error {}

/** The command line → what to do, or a UsageError naming the mistake. */
export function parseCommandLine(args: string[], env: NodeJS.ProcessEnv, cwd: string): Command {
    let parsed;
    try {
        parsed = parseArgs({
            args,
            allowPositionals: true,
            strict: true,
            options: {
                static: { type: "string", multiple: true },
                "tls-cert": { type: "string" },
                "tls-key": { type: "string" },
                https: { type: "boolean" },
                // node:util's parseArgs has no negated flags before Node 22 (allowNegative).
                "no-compress": { type: "boolean" },
                port: { type: "string" },
                host: { type: "string" },
                watch: { type: "boolean" },
                workers: { type: "string" },
                quiet: { type: "boolean" },
                ...numberFlagSyntax,
                redis: { type: "string" },
                "secret-file": { type: "string" },
                help: { type: "boolean", short: "h" },
                version: { type: "boolean", short: "v" },
            },
        });
    } catch (error) {
        throw new UsageError(rephrase((error as Error).message));
    }
    const { values, positionals } = parsed;
    if (values.help) return { kind: "help" };
    if (values.version) return { kind: "version" };
    if (positionals[0] === "init") {
        if (positionals.length > 2) throw new UsageError(`init takes one folder, not ${positionals.length - 1}`);
        return { kind: "init", dir: path.resolve(cwd, positionals[1] ?? ".") };
    }
    if (positionals.length > 1) throw new UsageError(`one routes folder only, not ${positionals.length}: ${positionals.join(" ")}`);
    const workers = values.workers === "auto" ? availableParallelism() : wholeNumber("--workers", values.workers, workerRule);
    if (values.watch && workers > 1) throw new UsageError("--watch reloads routes in one process: it cannot be combined with --workers");
    return {
        kind: "serve",
        options: {
            routes: path.resolve(cwd, positionals[0] ?? "routes"),
            static: (values.static ?? []).map((each) => staticFolderOf(each, cwd)),
            tls: tlsOf(values["tls-cert"], values["tls-key"], values.https ?? false, cwd),
            compress: !(values["no-compress"] ?? false),
            port: wholeNumber(values.port === undefined ? "$PORT" : "--port", values.port ?? env["PORT"], numberOptions.port),
            host: values.host ?? env["HOST"] ?? optionDefaults.hostname,
            watch: values.watch ?? false,
            workers,
            quiet: values.quiet ?? false,
            ...numberFlagValues(values),
            redisUrl: values.redis ?? environmentDefaults(env).redisUrl,
            secretFile: values["secret-file"] === undefined ? undefined : path.resolve(cwd, values["secret-file"]),
        },
    };
}

/** `DIR` (served at `/`) or `DIR=/PREFIX`; a folder whose name holds `=/` is given as `DIR=/`. */
function staticFolderOf(value: string, cwd: string): Required<StaticFolderOption> {
    const split = value.lastIndexOf("=/");
    if (split <= 0) return { dir: path.resolve(cwd, value), prefix: "/" };
    return { dir: path.resolve(cwd, value.slice(0, split)), prefix: value.slice(split + 1) };
}

function tlsOf(cert: string | undefined, key: string | undefined, local: boolean, cwd: string): ServeOptions["tls"] {
    if ((cert === undefined) !== (key === undefined)) throw new UsageError(`${cert === undefined ? "--tls-key" : "--tls-cert"} needs ${cert === undefined ? "--tls-cert" : "--tls-key"} too`);
    if (cert !== undefined && key !== undefined) {
        if (local) throw new UsageError("--https makes its own certificate: give it, or --tls-cert and --tls-key, not both");
        return { cert: path.resolve(cwd, cert), key: path.resolve(cwd, key) };
    }
    return local ? "local" : null;
}

/** Each number flag's value under its option's name; the option's default for a flag not given. */
function numberFlagValues(values: Partial<Record<NumberFlag, string>>): Record<NumberFlagOption, number> {
    const result = {} as Record<NumberFlagOption, number>;
    for (const [flag, option] of Object.entries(numberFlags) as [NumberFlag, NumberFlagOption][]) {
        result[option] = wholeNumber(`--${flag}`, values[flag], numberOptions[option]);
    }
    return result;
}

/** Digits only: a sign, a fraction or an exponent is a mistake on the command line. */
function wholeNumber(name: string, text: string | undefined, { default: defaultValue, min, max }: WholeNumberRule): number {
    if (text === undefined) return defaultValue;
    const value = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!(value >= min && value <= max)) throw new UsageError(`${name} must be a whole number from ${min} to ${max}, not "${text}"`);
    return value;
}

// node:util's messages mention its own API; say it in the user's terms.
function rephrase(message: string): string {
    const unknown = /^Unknown option '([^']+)'/.exec(message);
    if (unknown) return `unknown option ${unknown[1]} (see vshs --help)`;
    const missing = /^Option '(?:-\w, )?(--[\w-]+) <value>' argument missing/.exec(message);
    if (missing) return `${missing[1]} needs a value (see vshs --help)`;
    const valueless = /^Option '(?:-\w, )?(--[\w-]+)' does not take an argument/.exec(message);
    if (valueless) return `${valueless[1]} takes no value (see vshs --help)`;
    const ambiguous = /^Option '(?:-\w, )?(--[\w-]+)' argument is ambiguous/.exec(message);
    if (ambiguous) return `${ambiguous[1]} needs a value, not an option (see vshs --help)`;
    return message.split("\n")[0]!;
}

/** The command line's options in the terms of startHTTPServer. */
export function startOptionsOf(options: ServeOptions): StartOptions {
    return {
        routes: options.routes,
        ...(options.static.length === 0 ? {} : { static: options.static }),
        ...(options.tls === null || options.tls === "local" ? {} : { tls: options.tls }),
        compress: options.compress,
        port: options.port,
        hostname: options.host,
        watch: options.watch,
        logger: !options.quiet,
        shutdownTimeout: options.shutdownTimeout,
        heartbeatInterval: options.heartbeatInterval,
        channelHistory: options.channelHistory,
        channelsKept: options.channelsKept,
        redisTimeout: options.redisTimeout,
        trustProxy: options.trustProxy,
        staticMaxAge: options.staticMaxAge,
        ...(options.redisUrl === undefined ? {} : { redisUrl: options.redisUrl }),
        ...(options.secretFile === undefined ? {} : { secret: secretsIn(options.secretFile) }),
    };
}

/** The secrets of a --secret-file: one per line, blank lines and surrounding spaces ignored. */
function secretsIn(file: string): string[] {
    let text: string;
    try {
        text = readFileSync(file, "utf8");
    } catch (error) {
        throw new UsageError(`cannot read --secret-file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    const secrets = text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== "");
    if (secrets.length === 0) throw new UsageError(`--secret-file ${file} holds no secret`);
    return secrets;
}
