import type { HandlerParams } from "vshs";

export default async function ({ body }: HandlerParams) {
    return body;
}
