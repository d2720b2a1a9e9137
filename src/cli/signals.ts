/**
 * SIGINT (Ctrl-C) and SIGTERM: the first starts a graceful stop (`stop`, then exit 0);
 * a second one exits at once.
 */
export function stopOnSignals(stop: () => Promise<void>, onFirst: (signal: NodeJS.Signals) => void = announce): void {
    let stopping = false;
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
        process.on(signal, () => {
            if (stopping) process.exit(signal === "SIGINT" ? 130 : 143);
            stopping = true;
            onFirst(signal);
            stop().then(
                () => process.exit(0),
                (error: unknown) => {
                    console.error("vshs: could not stop cleanly:", error);
                    process.exit(1);
                },
            );
        });
    }
}

function announce(signal: NodeJS.Signals): void {
    console.error(`vshs: ${signal}: finishing the requests in flight (send it again to stop at once)`);
}
