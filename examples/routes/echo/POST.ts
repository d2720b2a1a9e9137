import type { HandlerParams } from "vshs";

/** Answers with the body it received, so the response follows the same type as the request. */
export default async function ({ body }: HandlerParams) {
    return body;
}
