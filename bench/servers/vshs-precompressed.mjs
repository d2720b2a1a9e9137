// vshs serving the precompressed fixture (static/app.js with app.js.br and app.js.gz beside it) under /static.
import { startHTTPServer } from "vshs";
import path from "node:path";
import { precompressedRoot } from "./catalogue.mjs";
import { ready, settings } from "./common.mjs";

const { port } = settings();
const server = await startHTTPServer({ hostname: "127.0.0.1", port, routes: {}, static: { dir: path.join(precompressedRoot(), "static"), prefix: "/static" } });
ready(server.port);
