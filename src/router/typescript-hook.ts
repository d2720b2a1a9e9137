/**
 * A module-resolution hook, chained in front of tsx's: route files and what they import are ES modules
 * even in a folder whose package.json does not say `"type": "module"` (or that has none), so `export default`,
 * top-level await and `import.meta.dirname` work wherever the user's routes live.
 */
interface ResolveResult {
    url: string;
    format?: string | null;
}
type NextResolve = (specifier: string, context: unknown) => Promise<ResolveResult>;

const typeScriptFile = /\.(ts|tsx)$/;

export async function resolve(specifier: string, context: unknown, nextResolve: NextResolve): Promise<ResolveResult> {
    const result = await nextResolve(specifier, context);
    if (isUntypedTypeScript(result)) return { ...result, format: "module" };
    return result;
}

function isUntypedTypeScript(result: ResolveResult): boolean {
    if (!result.url.startsWith("file:") || result.url.includes("/node_modules/")) return false;
    if (result.format !== "commonjs" && result.format !== "commonjs-typescript" && result.format != null) return false;
    return typeScriptFile.test(new URL(result.url).pathname);
}
