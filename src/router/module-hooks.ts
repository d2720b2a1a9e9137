/**
 * Module-resolution hooks: on Node chained in front of tsx's (in Node's loader thread, through
 * module.register); on Deno in the main thread, through module.registerHooks (see resolveSync).
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
type NextResolveSync = (specifier: string, context: ResolveContext) => ResolveResult;

const typeScriptFile = /\.(ts|tsx)$/;
const routeFile = /\/[A-Z]+\.js$/;
const generationParam = "vshs-generation";

export async function resolve(specifier: string, context: ResolveContext, nextResolve: NextResolve): Promise<ResolveResult> {
    return forUserFiles(await nextResolve(specifier, context), context);
}

/**
 * Deno's synchronous hook: the same. (Deno resolves a route's static imports before any hook runs, so
 * `./helper` without its extension needs Deno's --sloppy-imports; tsx accepts it on Node, Bun itself.)
 */
export function resolveSync(specifier: string, context: ResolveContext, nextResolve: NextResolveSync): ResolveResult {
    return forUserFiles(nextResolve(specifier, context), context);
}

function forUserFiles(result: ResolveResult, context: ResolveContext): ResolveResult {
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
