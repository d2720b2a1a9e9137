import { startHTTPServer } from "vshs";
import { hello, manyRoutes, publicDir, ready, settings } from "./common.mjs";

const { port, many } = settings();
const routes = {
    "/hello-world/GET": hello,
    "/echo/POST": ({ body }) => body,
    "/params/{name}/GET": ({ route }) => ({ name: route.vars.name }),
};
// The last route of the big table is one of the handful too, so that both tables answer the same request.
routes[`/r${manyRoutes - 1}/{id}/GET`] = hello;
if (many) for (let i = 0; i < manyRoutes; i++) routes[`/r${i}/{id}/GET`] = hello;
const server = await startHTTPServer({ hostname: "127.0.0.1", port, routes, static: publicDir });
ready(server.port);
