/**
 * Module-resolution hooks, chained in front of tsx's (they run in Node's loader thread).
 *
 * - Route files (`GET.js`, `POST.ts`…) and the user's TypeScript files are ES modules even in a folder
 *   whose package.json does not say `"type": "module"` (or that has none), so `export default`,
 *   top-level await and `import.meta.dirname` work wherever the routes live. Other `.js` files keep
 *   Node's own reading, so a CommonJS helper still works.
 * - Watch mode imports a route as `GET.ts?vshs-generation=N`; that query is carried to every user file
 *   it imports (not to node_modules), so an edited helper is loaded afresh along with its route.
 */
interface ResolveContext {
    parentURL?: string;
}
interface ResolveResult {
    url: string;
    format?: string | null;
}
type NextResolve = (specifier: string, context: ResolveContext) => Promise<ResolveResult>;

const typeScriptFile = /\.(ts|tsx)$/;
const routeFile = /\/[A-Z]+\.js$/;
const generationParam = "vshs-generation";

export async function resolve(specifier: string, context: ResolveContext, nextResolve: NextResolve): Promise<ResolveResult> {
    const result = await nextResolve(specifier, context);
    if (!result.url.startsWith("file:") || result.url.includes("/node_modules/")) return result;
    const url = new URL(result.url);
    const generation = context.parentURL?.startsWith("file:") ? new URL(context.parentURL).searchParams.get(generationParam) : null;
    if (generation !== null && !url.searchParams.has(generationParam)) url.searchParams.set(generationParam, generation);
    const format = isCommonJS(result.format) && (typeScriptFile.test(url.pathname) || routeFile.test(url.pathname)) ? "module" : result.format;
    return { ...result, url: url.href, format };
}

function isCommonJS(format: string | null | undefined): boolean {
    return format === "commonjs" || format === "commonjs-typescript" || format == null;
}
