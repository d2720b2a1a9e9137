import { HTTPError } from "../errors.ts";
import { RedisCommandError } from "./redis-connection.ts";

/**
 * `publish()` failed: the request answers 503, and the cause (which Redis, what happened) goes to the
 * server's log. `mayBePublished` tells a refusal (Redis was unreachable: nothing was published, a
 * retry is safe) from an unknown outcome (Redis took the event but did not answer in time, or the
 * connection broke: it may reach followers yet, and only a retry with the same publish key is safe).
 */
export class PublishError extends HTTPError {
    readonly mayBePublished: boolean;

    constructor(channel: string, cause: unknown) {
        const mayBePublished = cause instanceof RedisCommandError && cause.mayHaveRun;
        super(
            503,
            mayBePublished
                ? `The event for channel "${channel}" may or may not have been published (no answer from the channels' server in time): retry with the same publish key to be sure it is published once`
                : `The event for channel "${channel}" was not published (the channels' server is unreachable): try again`,
            { "Retry-After": "1" },
        );
        this.name = "PublishError";
        this.mayBePublished = mayBePublished;
        this.cause = cause;
    }
}
