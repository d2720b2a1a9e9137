#!/usr/bin/env node
// Deno and Bun for the scripts that need them (test:deno, test:bun, the benchmark, CI), fetched into
// runtimes/node_modules on first use: a clone's `npm install` brings only what Node needs (about 200 MB
// less). Prints the folder of their binaries, for PATH; what it fetches, it says on stderr, in one line.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const folder = path.join(path.dirname(fileURLToPath(import.meta.url)), "../runtimes");
const bin = path.join(folder, "node_modules/.bin");
const wanted = JSON.parse(readFileSync(path.join(folder, "package.json"), "utf8")).dependencies;

/** The version installed of a runtime's npm package, or undefined. */
function installed(name) {
    const manifest = path.join(folder, "node_modules", name, "package.json");
    return existsSync(manifest) && existsSync(path.join(bin, name)) ? JSON.parse(readFileSync(manifest, "utf8")).version : undefined;
}

const missing = Object.entries(wanted).filter(([name, version]) => installed(name) !== version);
if (missing.length > 0) {
    const names = missing.map(([name, version]) => `${name === "deno" ? "Deno" : "Bun"} ${version}`).join(" and ");
    console.error(`vshs: fetching ${names} for this script, once (into runtimes/node_modules)…`);
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    execFileSync(npm, ["ci", "--prefix", folder, "--no-audit", "--no-fund", "--loglevel=error"], { stdio: ["ignore", "ignore", "inherit"] });
}
console.log(bin);
