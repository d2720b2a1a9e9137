// vshs over TLS (`tls: { cert, key }`): HTTP/2 through ALPN, HTTP/1.1 for older clients on the same port.
import { startHTTPServer } from "vshs";
import { tlsFiles } from "./catalogue.mjs";
import { hello, ready, settings } from "./common.mjs";

const { port } = settings();
const server = await startHTTPServer({ hostname: "127.0.0.1", port, routes: { "/hello-world/GET": hello }, tls: tlsFiles() });
ready(server.port);
