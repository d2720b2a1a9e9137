#!/usr/bin/env node
// The `vshs` command: parses the command line, calls the public API, prints.
import cluster from "node:cluster";
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { startHTTPServer } from "../server.ts";
import { banner } from "./banner.ts";
import { certificateNotice, localCertificate } from "./local-certificate.ts";
import { scaffold } from "./init.ts";
import { parseCommandLine, startOptionsOf, usage, UsageError, type ServeOptions } from "./options.ts";
import { stopOnSignals } from "./signals.ts";
import { runPrimary, runWorker } from "./workers.ts";

const version: string = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")).version;

async function main(): Promise<void> {
    const command = parseCommandLine(process.argv.slice(2), process.env, process.cwd());
    switch (command.kind) {
        case "help":
            return console.log(usage);
        case "version":
            return console.log(version);
        case "init":
            return console.log(await scaffold(command.dir, version));
        case "serve": {
            const local = command.options.tls === "local" ? await localCertificate() : null;
            const options: ServeOptions = local === null ? command.options : { ...command.options, tls: { cert: local.certFile, key: local.keyFile } };
            if (cluster.isWorker) return runWorker(options);
            checkFolders(options);
            if (local !== null) console.log(certificateNotice(local));
            if (options.workers > 1) return runPrimary(options, version, process.cwd());
            return serve(options);
        }
    }
}

async function serve(options: ServeOptions): Promise<void> {
    const server = await startHTTPServer(startOptionsOf(options));
    console.log(banner(version, server.url, server.routes, options, process.cwd()));
    stopOnSignals(() => server.close());
}

function checkFolders(options: ServeOptions): void {
    const folders = [["routes", options.routes] as const, ...options.static.map(({ dir }) => ["static", dir] as const)];
    for (const [what, folder] of folders) {
        if (!statSync(folder, { throwIfNoEntry: false })?.isDirectory()) {
            throw new UsageError(`no ${what} folder at ${path.relative(process.cwd(), folder) || "."}${what === "routes" ? " (give the folder as the first argument)" : ""}`);
        }
    }
}

/** A start-up error names the API's option; on the command line, its flag (and variable) is what to change. */
function inCommandTerms(message: string): string {
    return message.replace('(option "port")', "(--port or $PORT)").replace('(option "hostname")', "(--host or $HOST)");
}

main().catch((error: unknown) => {
    // Mistakes on the command line and at start-up are one line: the message says what and where.
    const known = error instanceof UsageError || (error instanceof Error && error.name === "StartupError");
    console.error(`vshs: ${inCommandTerms(error instanceof Error ? error.message : String(error))}`);
    if (!known) console.error(error);
    process.exit(1);
});
