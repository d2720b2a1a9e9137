import { HTTPError } from "vshs";

/** `body[key]` as a trimmed string of 1 to `maxLength` characters, or a 400 saying what is wrong with it. */
export function field(body: unknown, key: string, maxLength: number): string {
    const value = typeof body === "object" && body !== null ? (body as Record<string, unknown>)[key] : undefined;
    if (typeof value !== "string") throw new HTTPError(400, `"${key}" is missing or not a string`);
    const trimmed = value.trim();
    if (trimmed === "") throw new HTTPError(400, `"${key}" is empty`);
    if ([...trimmed].length > maxLength) throw new HTTPError(400, `"${key}" is longer than ${maxLength} characters`);
    return trimmed;
}
