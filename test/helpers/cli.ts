import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { scriptCommand } from "./runtime.ts";
import { repoRoot } from "./server.ts";

export const cliPath = path.join(repoRoot, "dist/cli/main.js");

export interface CliRun {
    code: number | null;
    stdout: string;
    stderr: string;
}

/** Runs `vshs args…` to completion (killed after 20 s: a command that should end but serves is a failure). */
export function runCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> {
    return new Promise((resolve, reject) => {
        const child = spawn(...scriptCommand(cliPath, args), { cwd: options.cwd ?? repoRoot, env: { ...process.env, ...options.env }, timeout: 20_000 });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk) => (stdout += chunk));
        child.stderr.on("data", (chunk) => (stderr += chunk));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
}

export interface RunningCli {
    url: string;
    child: ChildProcess;
    stdout(): string;
    stderr(): string;
    /** Resolves once the output contains `pattern` (within `ms`). */
    waitForOutput(pattern: RegExp, ms?: number): Promise<string>;
    /** Resolves with the exit code (or the signal) once the process has ended. */
    exited: Promise<number | NodeJS.Signals | null>;
    /** Sends the process a signal, as `kill` in a terminal does. */
    signal(name: NodeJS.Signals): void;
}

/** Starts `vshs args…` and resolves once its banner names the URL it serves. */
export function startCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunningCli> {
    const child = spawn(...scriptCommand(cliPath, args), { cwd: options.cwd ?? repoRoot, env: { ...process.env, ...options.env } });
    let stdout = "";
    let stderr = "";
    const waiters = new Set<() => void>();
    const notify = () => waiters.forEach((waiter) => waiter());
    child.stdout!.on("data", (chunk) => ((stdout += chunk), notify()));
    child.stderr!.on("data", (chunk) => ((stderr += chunk), notify()));
    const exited = new Promise<number | NodeJS.Signals | null>((resolve) => child.on("exit", (code, signal) => (notify(), resolve(code ?? signal))));
    const waitForOutput = (pattern: RegExp, ms = 10_000) =>
        new Promise<string>((resolve, reject) => {
            const check = () => {
                const found = pattern.exec(stdout + stderr);
                if (found) {
                    waiters.delete(check);
                    clearTimeout(timer);
                    resolve(found[0]);
                } else if (child.exitCode !== null) {
                    waiters.delete(check);
                    clearTimeout(timer);
                    reject(new Error(`vshs exited (${child.exitCode}) before printing ${pattern}:\n${stdout}${stderr}`));
                }
            };
            const timer = setTimeout(() => {
                waiters.delete(check);
                reject(new Error(`no ${pattern} within ${ms} ms:\n${stdout}${stderr}`));
            }, ms);
            waiters.add(check);
            check();
        });
    return waitForOutput(/serving (https?:\/\/\S+)/).then((line) => ({
        url: line.replace("serving ", ""),
        child,
        stdout: () => stdout,
        stderr: () => stderr,
        waitForOutput,
        exited,
        // process.kill rather than child.kill: after child.kill(), Deno's child_process reports the signal
        // as the way the process ended even when it caught it and exited with a code of its own.
        signal: (name) => process.kill(child.pid!, name),
    }));
}
