// vshs serving a routes folder of route files, as users write them: `node servers/vshs-files.mjs PORT [guarded]`.
// "guarded": the same hello route behind a `_middleware.ts` that returns undefined.
import { startHTTPServer } from "vshs";
import { ready } from "./common.mjs";

const port = Number(process.argv[2] ?? 0);
const folder = new URL(process.argv[3] === "guarded" ? "../fixtures/routes-guarded" : "../fixtures/routes-plain", import.meta.url).pathname;
const server = await startHTTPServer({ hostname: "127.0.0.1", port, routes: folder });
ready(server.port);
