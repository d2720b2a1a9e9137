/** `?a=1&b=2&b=3` → `{ a: "1", b: ["2", "3"] }`. */
export function getQuery(url: URL | string): Record<string, string | string[]> {
    const params = typeof url === "string" ? new URL(url, "http://localhost").searchParams : url.searchParams;
    return fieldsToObject(params);
}

/** Form or query fields as an object; a repeated name gathers its values in an array. */
export function fieldsToObject(fields: Iterable<[string, string]>): Record<string, string | string[]> {
    const result: Record<string, string | string[]> = {};
    for (const [name, value] of fields) {
        const previous = Object.hasOwn(result, name) ? result[name] : undefined;
        if (Array.isArray(previous)) {
            previous.push(value);
            continue;
        }
        const combined = previous === undefined ? value : [previous, value];
        // defineProperty: a field named "__proto__" must become a field, not the object's prototype.
        Object.defineProperty(result, name, { value: combined, enumerable: true, writable: true, configurable: true });
    }
    return result;
}
