// vshs answering GET /catalogue with a 16 KiB object from an `async function`, compressed as the request's
// Accept-Encoding asks (the default). `node servers/vshs-compress.mjs PORT plain`: the same with `compress: false`.
import { startHTTPServer } from "vshs";
import { catalogue } from "./catalogue.mjs";
import { ready, settings } from "./common.mjs";

const { port } = settings();
const page = catalogue();
const routes = {
    "/catalogue/GET": async function getCatalogue() {
        return page;
    },
};
const server = await startHTTPServer({ hostname: "127.0.0.1", port, routes, ...(process.argv[3] === "plain" ? { compress: false } : {}) });
ready(server.port);
