import type { HandlerParams } from "vshs";

/** Says what kind of value the request body became: null, String, Object, Uint8Array, FormData… or the Blob's type. */
export default async function ({ body }: HandlerParams) {
    if (body === null) return "null";
    if (body instanceof Blob) return body.type;
    // The class the value was made by. Not `body.constructor`: a JSON body can set that key itself
    // (`{"constructor": null}`); its prototype comes from the parser, never from the client.
    return Object.getPrototypeOf(body).constructor.name;
}
