import assert from "node:assert/strict";
import { realpathSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { startHTTPServer, type StartOptions } from "vshs";
import { parseCommandLine, usage, UsageError } from "../src/cli/options.ts";
import { numberOptions, resolveSettings, type ServerSettings } from "../src/options.ts";
import { fixturesDir } from "./helpers/server.ts";

/**
 * Every startHTTPServer option: its default, what it accepts and how it refuses the rest. Typed by
 * StartOptions, so that an option added without its row does not typecheck.
 */
interface Row {
    default: unknown;
    /** Where the option ends up in the settings. */
    read: (settings: ServerSettings) => unknown;
    /** A whole-number option: the smallest and largest values accepted. */
    range?: [min: number, max: number];
    /** The CLI flag that sets it, if any. */
    flag?: string;
    /** Options (with the environment) and the value read from the settings they give. */
    accepts?: [StartOptions, unknown, NodeJS.ProcessEnv?][];
    /** Options and the StartupError's message. */
    refuses?: [StartOptions, string | RegExp][];
}

const timer = 2 ** 31 - 1;
const bytes = Number.MAX_SAFE_INTEGER;
const routes = path.join(fixturesDir, "cli-routes");
const staticFolder = path.join(fixturesDir, "static");
const file = path.join(fixturesDir, "outside-secret.txt");
const pem = (label: string) => `-----BEGIN ${label}-----\nAAAA\n-----END ${label}-----\n`;

// Whole-number rows first, in the order the options are checked.
const table: { [option in keyof StartOptions]-?: Row } = {
    port: { default: 8080, range: [0, 65535], read: (s) => s.port, flag: "--port" },
    maxBodySize: { default: 1024 * 1024, range: [0, bytes], read: (s) => s.limits.maxBodySize },
    maxHeaderSize: { default: 16 * 1024, range: [0, bytes], read: (s) => s.limits.maxHeaderSize },
    maxUrlLength: { default: 8 * 1024, range: [0, bytes], read: (s) => s.limits.maxUrlLength },
    maxFields: { default: 1000, range: [0, bytes], read: (s) => s.limits.maxFields },
    maxFiles: { default: 100, range: [0, bytes], read: (s) => s.limits.maxFiles },
    maxJsonDepth: { default: 64, range: [0, bytes], read: (s) => s.limits.maxJsonDepth },
    headersTimeout: { default: 10_000, range: [0, timer], read: (s) => s.limits.headersTimeout },
    bodyTimeout: { default: 10_000, range: [0, timer], read: (s) => s.limits.bodyTimeout },
    requestTimeout: { default: 60_000, range: [0, timer], read: (s) => s.limits.requestTimeout },
    keepAliveTimeout: { default: 5_000, range: [0, timer], read: (s) => s.limits.keepAliveTimeout },
    handlerTimeout: { default: 30_000, range: [0, timer], read: (s) => s.limits.handlerTimeout },
    maxEventBuffer: { default: 1024 * 1024, range: [0, bytes], read: (s) => s.streams.maxEventBuffer },
    maxMessageSize: { default: 1024 * 1024, range: [0, bytes], read: (s) => s.limits.maxMessageSize },
    shutdownTimeout: { default: 10_000, range: [0, timer], read: (s) => s.limits.shutdownTimeout, flag: "--shutdown-timeout" },
    heartbeatInterval: { default: 15_000, range: [0, timer], read: (s) => s.streams.heartbeatInterval, flag: "--heartbeat" },
    channelHistory: { default: 1000, range: [0, 1_000_000], read: (s) => s.channels.history, flag: "--channel-history" },
    channelsKept: { default: 10_000, range: [1, 10_000_000], read: (s) => s.channels.channelsKept, flag: "--channels-kept" },
    redisTimeout: { default: 5000, range: [0, 2 ** 31 - 1], read: (s) => s.channels.redisTimeout, flag: "--redis-timeout" },
    trustProxy: { default: 0, range: [0, 100], read: (s) => s.trustProxy, flag: "--trust-proxy" },
    staticMaxAge: { default: 0, range: [0, 31_536_000], read: (s) => s.staticMaxAge, flag: "--static-max-age" },
    hostname: { default: "localhost", read: (s) => s.hostname, flag: "--host", accepts: [[{ hostname: "::1" }, "::1"]] },
    routes: {
        default: "/routes",
        read: (s) => ("folder" in s.routes ? s.routes.folder : s.routes.handlers),
        accepts: [[{ routes }, realpathSync(routes)]],
        refuses: [
            [{ routes: undefined }, /^The routes folder was not found: .*\(option "routes": "\/routes"\)$/],
            [{ routes: 42 as never }, "The routes option must be a folder or an object of handlers, not number"],
            [{ routes: true as never }, "The routes option must be a folder or an object of handlers, not boolean"],
            [{ routes: path.join(fixturesDir, "none") }, /^The routes folder was not found: .*none.* \(option "routes": ".*none"\)$/],
            [{ routes: file }, `The routes option must name a folder, but ${file} is a file`],
        ],
    },
    static: {
        default: undefined,
        read: (s) => (s.staticFolders.length === 0 ? undefined : s.staticFolders.map(({ root, prefix }) => `${prefix} ${root}`).join(", ")),
        flag: "--static",
        accepts: [
            [{ static: staticFolder }, `/ ${realpathSync(staticFolder)}`],
            [{ static: { dir: staticFolder, prefix: "static/" } }, `/static ${realpathSync(staticFolder)}`],
            [{ static: [{ dir: staticFolder, prefix: "/a/b" }, staticFolder] }, `/a/b ${realpathSync(staticFolder)}, / ${realpathSync(staticFolder)}`],
            [{ static: { dir: staticFolder, prefix: "/" } }, `/ ${realpathSync(staticFolder)}`],
        ],
        refuses: [
            [{ static: path.join(fixturesDir, "none") }, /^The static folder was not found: .*none.* \(option "static": ".*none"\)$/],
            [{ static: file }, `The static option must name a folder, but ${file} is a file`],
            [{ static: { dir: staticFolder, prefix: "/a/../b" } }, 'A static prefix must be a URL path such as "/static", not "/a/../b"'],
            [{ static: { dir: staticFolder, prefix: "/a%2f" } }, 'A static prefix must be a URL path such as "/static", not "/a%2f"'],
            [{ static: { dir: staticFolder, prefix: "//a" } }, 'A static prefix must be a URL path such as "/static", not "//a"'],
            [{ static: { prefix: "/a" } as never }, "The static option must be a folder, { dir, prefix }, or a list of them"],
        ],
    },
    tls: {
        default: null,
        read: (s) => s.tls && `${s.tls.cert.slice(0, 27)}|${s.tls.key.slice(0, 27)}`,
        accepts: [[{ tls: { cert: pem("CERTIFICATE"), key: pem("PRIVATE KEY") } }, "-----BEGIN CERTIFICATE-----|-----BEGIN PRIVATE KEY-----"]],
        refuses: [
            [{ tls: { cert: path.join(fixturesDir, "none.pem"), key: pem("PRIVATE KEY") } }, /^The TLS cert could not be read: .*none\.pem \(ENOENT; option "tls.cert" or --tls-cert\)$/],
            [{ tls: { cert: pem("CERTIFICATE"), key: file } }, `The TLS key file holds no PEM block: ${file} (option "tls.key" or --tls-key)`],
            [{ tls: { cert: pem("CERTIFICATE") } as never }, "The tls option must be { cert, key }, each a PEM file or PEM text"],
        ],
    },
    compress: {
        default: "1024 br,zstd,gzip",
        read: (s) => s.compress && `${s.compress.threshold} ${s.compress.encodings.join(",")}`,
        accepts: [
            [{ compress: false }, null],
            [{ compress: { threshold: 0 } }, "0 br,zstd,gzip"],
            [{ compress: { encodings: ["gzip"] } }, "1024 gzip"],
            [{ compress: { encodings: [] } }, null],
        ],
        refuses: [
            [{ compress: { threshold: -1 } }, "The compress threshold must be a whole number of bytes, not -1"],
            [{ compress: { encodings: ["deflate"] } as never }, 'The compress encodings must be a list of "br", "zstd", "gzip", not ["deflate"]'],
            [{ compress: "yes" as never }, "The compress option must be true, false or { threshold, encodings }"],
        ],
    },
    dotfiles: { default: false, read: (s) => s.dotfiles, accepts: [[{ dotfiles: true }, true]] },
    perMessageDeflate: { default: false, read: (s) => s.perMessageDeflate, accepts: [[{ perMessageDeflate: true }, true]] },
    exposeErrors: {
        default: true,
        read: (s) => s.exposeErrors,
        accepts: [[{}, false, { NODE_ENV: "production" }], [{ exposeErrors: true }, true, { NODE_ENV: "production" }], [{ exposeErrors: false }, false]],
    },
    cors: {
        default: true,
        read: (s) => s.cors,
        accepts: [[{ cors: false }, false], [{ cors: "https://app.example" }, "https://app.example"], [{ cors: ["https://a.example", "https://b.example"] }, ["https://a.example", "https://b.example"]]],
        refuses: [[{ cors: [] }, "The cors option must be true, false, an origin, or a non-empty list of origins"]],
    },
    watch: {
        default: false,
        read: (s) => s.watch,
        flag: "--watch",
        accepts: [[{ watch: true, routes }, true]],
        refuses: [[{ watch: true }, "The watch option needs a routes folder, not an object of handlers"]],
    },
    logger: { default: false, read: (s) => s.logger, accepts: [[{ logger: true }, true]] },
    secret: {
        default: undefined,
        read: (s) => (s.secrets.length === 0 ? undefined : s.secrets.join(" ")),
        accepts: [
            [{ secret: "0123456789abcdef" }, "0123456789abcdef"],
            [{ secret: ["new-secret-0123456789", "old-secret-0123456789"] }, "new-secret-0123456789 old-secret-0123456789"],
            [{}, "env-secret-0123456789 older-secret-0123456789", { VSHS_SECRET: " env-secret-0123456789\n older-secret-0123456789 " }],
            [{ secret: "option-secret-0123456789" }, "option-secret-0123456789", { VSHS_SECRET: "env-secret-0123456789" }],
            [{}, undefined, { VSHS_SECRET: "" }],
            [{}, undefined, { VSHS_SECRET: " \n " }],
        ],
        refuses: [
            [{ secret: "short" }, 'A secret must be at least 16 characters long, not 5 (option "secret", --secret-file or $VSHS_SECRET; `openssl rand -base64 32` makes one)'],
            [{ secret: [] }, "The secret option must be a string, or a non-empty list of strings (the first signs, all verify)"],
            [{ secret: [42] as never }, "The secret option must be a string, or a non-empty list of strings (the first signs, all verify)"],
        ],
    },
    redisUrl: {
        default: undefined,
        read: (s) => s.channels.redisUrl,
        flag: "--redis",
        accepts: [[{}, "redis://env:6379", { REDIS_URL: "redis://env:6379" }], [{}, undefined, { REDIS_URL: "" }], [{ redisUrl: "redis://a:1" }, "redis://a:1", { REDIS_URL: "redis://env:6379" }]],
    },
};

const rows = Object.entries(table) as [keyof StartOptions, Row][];
const numberRows = rows.filter((row): row is [keyof typeof numberOptions, Row & { range: [number, number] }] => row[1].range !== undefined);

/** The settings of these options (on object routes unless they say otherwise), with an empty environment. */
const settingsOf = (options: StartOptions, env: NodeJS.ProcessEnv = {}) => resolveSettings({ routes: {}, ...options }, env);
const startupError = (message: string | RegExp) => ({ name: "StartupError", message });
const refusal = (option: string, [min, max]: [number, number], value: unknown) => `The ${option} option must be a whole number from ${min} to ${max}, not ${JSON.stringify(value)}`;

describe("options: every one has a row", () => {
    it("the whole-number options are the rows with a range, in the order they are checked", () => {
        assert.deepEqual(numberRows.map(([option]) => option), Object.keys(numberOptions));
    });

    it("the settings are frozen, every part of them", () => {
        const settings = settingsOf({});
        for (const part of [settings, settings.routes, settings.limits, settings.streams, settings.channels]) assert.ok(Object.isFrozen(part));
    });

    it("the first of several mistakes is reported", () => {
        assert.throws(() => settingsOf({ channelsKept: 0, port: -1, routes: 42 as never }), startupError(refusal("port", [0, 65535], -1)));
    });
});

describe("options: defaults", () => {
    for (const [option, row] of rows) {
        if (option === "routes") continue; // the default folder is missing here: see its refusals
        it(option, () => {
            assert.equal(row.read(settingsOf({})), row.default);
            if (row.range) assert.deepEqual(numberOptions[option as keyof typeof numberOptions], { default: row.default, min: row.range[0], max: row.range[1] });
        });
    }
});

describe("options: accepted values", () => {
    for (const [option, row] of rows) {
        it(option, () => {
            for (const [options, value, env] of row.accepts ?? []) assert.deepEqual(row.read(settingsOf(options, env)), value, JSON.stringify(options));
            if (!row.range) return;
            for (const edge of row.range) assert.equal(row.read(settingsOf({ [option]: edge })), edge);
        });
    }
});

describe("options: refusals, one line naming the option", () => {
    for (const [option, row] of rows) {
        it(option, () => {
            for (const [options, message] of row.refuses ?? []) assert.throws(() => settingsOf(options), startupError(message), JSON.stringify(options));
            if (!row.range) return;
            const [min, max] = row.range;
            for (const value of [min - 1, max + 1, min + 0.5, String(min), Number.NaN, true]) {
                assert.throws(() => settingsOf({ [option]: value }), startupError(refusal(option, row.range, value)), String(value));
            }
        });
    }

    // Through the public API: the server reads its options through this module.
    it("startHTTPServer refuses what the module refuses", async () => {
        for (const [option, row] of numberRows) {
            const value = row.range[1] + 1;
            await assert.rejects(startHTTPServer({ hostname: "127.0.0.1", routes: {}, [option]: value }), startupError(refusal(option, row.range, value)));
        }
    });
});

describe("options: the CLI takes its flags' defaults and ranges from the module", () => {
    const serve = (args: string[]) => {
        const command = parseCommandLine(args, {}, fixturesDir);
        assert.equal(command.kind, "serve");
        return command.kind === "serve" ? command.options : assert.fail();
    };
    const cliName = (option: string) => (option === "hostname" ? "host" : option);

    for (const [option, row] of rows.filter(([, { flag }]) => flag !== undefined)) {
        it(row.flag!, () => {
            const line = usage.split("\n").find((each) => each.startsWith(`  ${row.flag} `));
            assert.ok(line, `${row.flag} in the usage`);
            if (row.default !== undefined && row.default !== null && row.default !== false) assert.ok(line.includes(String(row.default)), line);
            if (!row.range) return;
            const read = (args: string[]) => serve(args)[cliName(option) as "port"];
            assert.equal(read([]), row.default);
            const [min, max] = row.range;
            assert.equal(read([`${row.flag}=${max}`]), max);
            const message = `${row.flag} must be a whole number from ${min} to ${max}, not "${max + 1}"`;
            assert.throws(() => read([`${row.flag}=${max + 1}`]), (error) => error instanceof UsageError && error.message === message);
        });
    }
});
