/**
 * Promises that no one need await: a send after the client left rejects, and a timer that keeps
 * sending must not crash the process with an unhandled rejection.
 */
export function quiet(promise: Promise<void>): Promise<void> {
    promise.catch(() => {});
    return promise;
}

export function quietRejection(error: unknown): Promise<void> {
    return quiet(Promise.reject(error));
}
