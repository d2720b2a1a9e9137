/**
 * The layers of src/ (docs/architecture.md), as rules a change cannot break silently: `npm run
 * check:architecture`, run by `npm test`. A module imports only from its own layer or below:
 *
 *   cli/                              the vshs command: the public API, its options, the cluster relay
 *   index.ts, testing/                the public names
 *   server.ts, watch-mode.ts, shutdown.ts
 *   adapters/                         node/ and web/ (web/deno.ts, web/bun.ts): one family per runtime server
 *   pipeline.ts, error-answers.ts,    one request, from Incoming to Answer (a throw's answer; and
 *   unrouted-answers.ts               the answer when no route matched)
 *   router/ request/ response/ static/ channels/ rate-limit/   one concern each
 *   contract.ts                       what the pipeline and the adapters exchange
 *   leaves                            errors, limits, options, tls-option, cors, deadlines, paths, symbols, runtime, types, access-log, forwarded
 */
const leaves = "^src/(errors|limits|options|tls-option|cors|deadlines|paths|symbols|runtime|types|access-log|forwarded)\\.ts$";
const concerns = "^src/(router|request|response|static|channels|rate-limit)/";
const above = (...paths) => ({ path: paths });

module.exports = {
    forbidden: [
        { name: "no-circular", severity: "error", comment: "An import circle makes a layer depend on itself.", from: {}, to: { circular: true } },
        {
            name: "contract-imports-nothing",
            severity: "error",
            comment: "contract.ts is what both sides agree on: it imports neither side (only the public types).",
            from: { path: "^src/contract\\.ts$" },
            to: { path: "^src/", pathNot: "^src/types\\.ts$" },
        },
        {
            name: "leaves-import-only-leaves",
            severity: "error",
            comment: "A leaf (errors, limits, options…) is used by every layer, so it imports only other leaves and contract types.",
            from: { path: leaves },
            to: { path: "^src/", pathNot: [leaves, "^src/contract\\.ts$"] },
        },
        {
            name: "concerns-stay-below-the-pipeline",
            severity: "error",
            comment: "router/, request/, response/, static/, channels/ know nothing of the pipeline, adapters, server or CLI.",
            from: { path: concerns },
            to: above("^src/(pipeline|error-answers|unrouted-answers|server|watch-mode|shutdown|index)\\.ts$", "^src/(adapters|cli|testing)/"),
        },
        {
            name: "pipeline-knows-no-adapter",
            severity: "error",
            comment: "The pipeline answers an Incoming with an Answer, on any runtime.",
            from: { path: "^src/(pipeline|error-answers|unrouted-answers)\\.ts$" },
            to: above("^src/(server|watch-mode|shutdown|index)\\.ts$", "^src/(adapters|cli|testing)/"),
        },
        {
            name: "adapters-see-only-the-contract",
            severity: "error",
            comment: "An adapter calls the pipeline through contract.ts's AnswerSource, never its class or the layers above.",
            from: { path: "^src/adapters/" },
            to: above("^src/(pipeline|error-answers|unrouted-answers|server|watch-mode|shutdown|index)\\.ts$", "^src/(cli|testing|router|request|channels|rate-limit)/"),
        },
        {
            name: "adapter-families-apart",
            severity: "error",
            comment: "node/ and web/ share nothing but the contract and the files beside them.",
            from: { path: "^src/adapters/node/" },
            to: { path: "^src/adapters/web/" },
        },
        {
            name: "adapter-families-apart-web",
            severity: "error",
            from: { path: "^src/adapters/web/" },
            to: { path: "^src/adapters/node/" },
        },
        {
            name: "runtime-servers-only-in-their-adapter",
            severity: "error",
            comment: "node:http is the Node adapter's (errors.ts reads only its table of status texts).",
            from: { path: "^src/", pathNot: ["^src/adapters/node/", "^src/errors\\.ts$"] },
            to: { path: "^(node:)?https?2?$", dependencyTypes: ["core"] },
        },
        {
            name: "cli-uses-the-public-api",
            severity: "error",
            comment: "The CLI parses arguments, calls the public API, prints: it reaches no internals.",
            from: { path: "^src/cli/" },
            to: above("^src/(pipeline|watch-mode|shutdown|contract)\\.ts$", "^src/(adapters|router|request|response|static)/"),
        },
        {
            name: "no-dist-or-test-from-src",
            severity: "error",
            from: { path: "^src/" },
            to: { path: "^(dist|test|bench|examples)/" },
        },
    ],
    options: {
        doNotFollow: { path: "node_modules" },
        exclude: { path: "^(dist|node_modules)/" },
        tsPreCompilationDeps: true,
        tsConfig: { fileName: "tsconfig.json" },
        enhancedResolveOptions: { extensions: [".ts", ".js", ".mjs", ".mts"] },
    },
};
