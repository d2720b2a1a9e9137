/**
 * Every option of startHTTPServer: its default, the values it accepts, and the one-line StartupError
 * that refuses any other. The server reads its options only through `resolveSettings`; the CLI takes
 * its flags' defaults and ranges from here.
 */

import { StartupError } from "./errors.ts";
import { limitDefaults, type Limits } from "./limits.ts";
import { resolveFolder } from "./paths.ts";
import { tlsFrom } from "./tls-option.ts";
import type { AccessLogger, CompressOptions, Encoding, RoutesObject, StartOptions, StaticFolderOption, TlsOptions } from "./types.ts";

/** The longest delay setTimeout honours, in ms: past it the timer fires at once, so no timeout may exceed it. */
export const largestTimer = 2 ** 31 - 1;
/** A stream quiet for this long gets a comment line, so that proxies keep it open, in ms. */
export const defaultHeartbeatInterval = 15_000;
/** Events each channel keeps for clients that reconnect, unless configured. */
export const defaultChannelHistory = 1000;
/** How many channels keep their ids and events unless configured: those most recently published to. */
export const defaultChannelsKept = 10_000;
/** How long a Redis command may take before it fails unless configured, in ms: a hung Redis fails fast, as a gone one does. */
export const defaultRedisTimeout = 5000;

/** A whole-number option: its default and the smallest and largest values accepted. */
export interface WholeNumberRule {
    readonly default: number;
    readonly min: number;
    readonly max: number;
}

export type NumberOption = "port" | keyof Limits | "heartbeatInterval" | "channelHistory" | "channelsKept" | "redisTimeout" | "trustProxy" | "staticMaxAge";

/** The whole-number options, in the order they are checked: the first mistake is the one reported. */
export const numberOptions: Readonly<Record<NumberOption, WholeNumberRule>> = Object.freeze({
    port: rule(8080, 0, 65535),
    ...limitRules(),
    heartbeatInterval: rule(defaultHeartbeatInterval, 0, largestTimer),
    channelHistory: rule(defaultChannelHistory, 0, 1_000_000),
    channelsKept: rule(defaultChannelsKept, 1, 10_000_000),
    redisTimeout: rule(defaultRedisTimeout, 0, largestTimer),
    trustProxy: rule(0, 0, 100),
    // A year, the longest RFC 9111 advises for a fresh-forever resource.
    staticMaxAge: rule(0, 0, 31_536_000),
});

/** The encodings offered unless configured, in the server's order of preference. */
export const defaultEncodings: readonly Encoding[] = Object.freeze(["br", "zstd", "gzip"]);
/** Bodies smaller than this are sent as they are unless configured, in bytes: below it compression saves less than it costs. */
export const defaultCompressThreshold = 1024;

/** Shorter secrets can be guessed offline from one signed cookie. */
export const shortestSecret = 16;

/** The defaults of the options that are not numbers and do not depend on the environment. */
export const optionDefaults = Object.freeze({
    hostname: "localhost",
    /** Next to the entry script: see `resolveFolder`. */
    routes: "/routes",
    cors: true,
    dotfiles: false,
    perMessageDeflate: false,
    watch: false,
    logger: false,
} as const);

/** The defaults that come from the environment, read when a server starts (or the CLI parses its flags). */
export function environmentDefaults(env: NodeJS.ProcessEnv): { exposeErrors: boolean; redisUrl: string | undefined; secret: string[] | undefined } {
    // Several secrets (for rotation) are separated by white space: base64 and hex have none.
    const secrets = (env["VSHS_SECRET"] ?? "").split(/\s+/).filter((each) => each !== "");
    return {
        exposeErrors: env["NODE_ENV"] !== "production",
        // Empty counts as unset, as `REDIS_URL= vshs` in a shell means (the same for VSHS_SECRET).
        redisUrl: env["REDIS_URL"] || undefined,
        secret: secrets.length === 0 ? undefined : secrets,
    };
}

/** The options of one server, checked and defaulted: what startHTTPServer hands to its parts. */
export interface ServerSettings {
    readonly hostname: string;
    readonly port: number;
    /** The real path of the routes folder, or the handlers given in code. */
    readonly routes: { readonly folder: string } | { readonly handlers: RoutesObject };
    /** The static folders, in the order they are tried: each one's real path and URL prefix (`/`, or `/static` without a trailing slash). */
    readonly staticFolders: readonly StaticFolderSetting[];
    /** Seconds a static file may be used without asking again (Cache-Control max-age). */
    readonly staticMaxAge: number;
    /** HTTPS's certificate and key (PEM text), or null for plain HTTP. */
    readonly tls: TlsOptions | null;
    /** How answers are compressed, or null for never. */
    readonly compress: { readonly threshold: number; readonly encodings: readonly Encoding[] } | null;
    readonly dotfiles: boolean;
    /** Whether WebSocket messages may be compressed (permessage-deflate), where the runtime offers it. */
    readonly perMessageDeflate: boolean;
    readonly limits: Readonly<Limits>;
    readonly exposeErrors: boolean;
    readonly cors: boolean | string | readonly string[];
    readonly watch: boolean;
    readonly logger: boolean | AccessLogger;
    readonly streams: { readonly heartbeatInterval: number; readonly maxEventBuffer: number };
    readonly channels: { readonly history: number; readonly channelsKept: number; readonly redisUrl: string | undefined; readonly redisTimeout: number };
    /** The secrets that sign cookies, the first signing, all verifying; none: a signed cookie answers 500. */
    readonly secrets: readonly string[];
    /** How many proxies to believe about the client's address and scheme. */
    readonly trustProxy: number;
}

export interface StaticFolderSetting {
    readonly root: string;
    readonly prefix: string;
}

/**
 * The options → the server's settings, frozen; a mistake → a one-line StartupError naming the option.
 * Folders are resolved here too, so that no route file is imported for a server that cannot start.
 */
export function resolveSettings(options: StartOptions, env: NodeJS.ProcessEnv = process.env): ServerSettings {
    const numbers = checkNumbers(options);
    const routes = routesFrom(options.routes ?? optionDefaults.routes);
    const watch = Boolean(options.watch ?? optionDefaults.watch);
    if (watch && "handlers" in routes) throw new StartupError("The watch option needs a routes folder, not an object of handlers");
    const fromEnv = environmentDefaults(env);
    const limits = {} as Limits;
    for (const name of Object.keys(limitDefaults) as (keyof Limits)[]) limits[name] = numbers[name];
    return Object.freeze({
        hostname: options.hostname ?? optionDefaults.hostname,
        port: numbers.port,
        routes: Object.freeze(routes),
        staticFolders: staticFoldersFrom(options.static),
        staticMaxAge: numbers.staticMaxAge,
        tls: options.tls === undefined ? null : tlsFrom(options.tls),
        compress: compressFrom(options.compress ?? true),
        dotfiles: options.dotfiles === true,
        perMessageDeflate: options.perMessageDeflate === true,
        limits: Object.freeze(limits),
        exposeErrors: options.exposeErrors ?? fromEnv.exposeErrors,
        cors: corsFrom(options.cors ?? optionDefaults.cors),
        watch,
        logger: options.logger ?? optionDefaults.logger,
        streams: Object.freeze({ heartbeatInterval: numbers.heartbeatInterval, maxEventBuffer: limits.maxEventBuffer }),
        channels: Object.freeze({ history: numbers.channelHistory, channelsKept: numbers.channelsKept, redisUrl: options.redisUrl ?? fromEnv.redisUrl, redisTimeout: numbers.redisTimeout }),
        secrets: secretsFrom(options.secret ?? fromEnv.secret),
        trustProxy: numbers.trustProxy,
    });
}

function rule(defaultValue: number, min: number, max: number): WholeNumberRule {
    return Object.freeze({ default: defaultValue, min, max });
}

/** Every limit may be 0 (no limit, for a timeout); a timeout is handed to setTimeout, so it stops at `largestTimer`. */
function limitRules(): Record<keyof Limits, WholeNumberRule> {
    const rules = {} as Record<keyof Limits, WholeNumberRule>;
    for (const name of Object.keys(limitDefaults) as (keyof Limits)[]) {
        rules[name] = rule(limitDefaults[name], 0, name.endsWith("Timeout") ? largestTimer : Number.MAX_SAFE_INTEGER);
    }
    return rules;
}

function checkNumbers(options: StartOptions): Record<NumberOption, number> {
    const values = {} as Record<NumberOption, number>;
    for (const [name, { default: defaultValue, min, max }] of Object.entries(numberOptions) as [NumberOption, WholeNumberRule][]) {
        const value = options[name] ?? defaultValue;
        if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
            throw new StartupError(`The ${name} option must be a whole number from ${min} to ${max}, not ${JSON.stringify(value)}`);
        }
        values[name] = value;
    }
    return values;
}

function routesFrom(routes: string | RoutesObject): ServerSettings["routes"] {
    if (typeof routes === "string") return { folder: resolveFolder(routes, "routes") };
    if (typeof routes !== "object" || routes === null) {
        throw new StartupError(`The routes option must be a folder or an object of handlers, not ${typeof routes}`);
    }
    return { handlers: routes };
}

function secretsFrom(secret: string | readonly string[] | undefined): readonly string[] {
    if (secret === undefined) return Object.freeze([]);
    const secrets = typeof secret === "string" ? [secret] : secret;
    if (!Array.isArray(secrets) || secrets.length === 0 || secrets.some((each) => typeof each !== "string")) {
        throw new StartupError("The secret option must be a string, or a non-empty list of strings (the first signs, all verify)");
    }
    for (const each of secrets) {
        if (each.length < shortestSecret) {
            throw new StartupError(`A secret must be at least ${shortestSecret} characters long, not ${each.length} (option "secret", --secret-file or $VSHS_SECRET; \`openssl rand -base64 32\` makes one)`);
        }
    }
    return Object.freeze([...secrets]);
}

/** `true` (any origin), `false`, one origin, or a list of origins (each echoed back when it asks). */
function corsFrom(cors: boolean | string | readonly string[]): ServerSettings["cors"] {
    if (typeof cors === "boolean" || typeof cors === "string") return cors;
    if (!Array.isArray(cors) || cors.length === 0 || cors.some((origin) => typeof origin !== "string")) {
        throw new StartupError("The cors option must be true, false, an origin, or a non-empty list of origins");
    }
    return Object.freeze([...cors]);
}

function staticFoldersFrom(option: StartOptions["static"]): readonly StaticFolderSetting[] {
    if (option === undefined) return Object.freeze([]);
    const list = Array.isArray(option) ? option : [option];
    return Object.freeze(list.map((each: string | StaticFolderOption) => {
        const { dir, prefix = "/" } = typeof each === "string" ? { dir: each } : (each ?? {});
        if (typeof dir !== "string") throw new StartupError("The static option must be a folder, { dir, prefix }, or a list of them");
        return Object.freeze({ root: resolveFolder(dir, "static"), prefix: prefixFrom(prefix) });
    }));
}

/** `/static/` or `static` → `/static`; `/` stays `/`. A prefix is matched by whole segments, so it may not hold `..`, `%` or `//`. */
function prefixFrom(prefix: unknown): string {
    if (typeof prefix !== "string" || !/^\/?([A-Za-z0-9._~!$&'()*+,;=:@-]+\/?)*$/.test(prefix) || prefix.split("/").some((segment) => segment === "." || segment === "..")) {
        throw new StartupError(`A static prefix must be a URL path such as "/static", not ${JSON.stringify(prefix)}`);
    }
    const trimmed = prefix.replace(/^\/?/, "/").replace(/\/$/, "");
    return trimmed === "" ? "/" : trimmed;
}

function compressFrom(compress: boolean | CompressOptions): ServerSettings["compress"] {
    if (compress === false) return null;
    const { threshold = defaultCompressThreshold, encodings = defaultEncodings } = compress === true ? {} : (compress ?? {});
    if (typeof compress !== "boolean" && (typeof compress !== "object" || compress === null)) {
        throw new StartupError("The compress option must be true, false or { threshold, encodings }");
    }
    if (typeof threshold !== "number" || !Number.isInteger(threshold) || threshold < 0) {
        throw new StartupError(`The compress threshold must be a whole number of bytes, not ${JSON.stringify(threshold)}`);
    }
    if (!Array.isArray(encodings) || encodings.some((each) => !defaultEncodings.includes(each))) {
        throw new StartupError(`The compress encodings must be a list of ${defaultEncodings.map((each) => `"${each}"`).join(", ")}, not ${JSON.stringify(encodings)}`);
    }
    return encodings.length === 0 ? null : Object.freeze({ threshold, encodings: Object.freeze([...encodings]) });
}
