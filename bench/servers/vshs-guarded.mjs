// The hello route behind a `_middleware.ts` that returns undefined (see vshs-files.mjs).
process.argv[3] = "guarded";
await import("./vshs-files.mjs");
