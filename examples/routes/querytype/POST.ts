import type { HandlerParams } from "vshs";

/** Says what kind of value the request body became: null, String, Object, Uint8Array, FormData… or the Blob's type. */
export default async function ({ body }: HandlerParams) {
    if (body === null) return "null";
    if (body instanceof Blob) return body.type;
    return body.constructor.name;
}
