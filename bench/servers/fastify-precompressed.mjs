// Fastify serving the precompressed fixture with @fastify/static's `preCompressed: true` (app.js.br for
// `Accept-Encoding: br`), with the CORS headers vshs sends.
import fastifyStatic from "@fastify/static";
import Fastify from "fastify";
import path from "node:path";
import { precompressedRoot } from "./catalogue.mjs";
import { cors, ready, settings } from "./common.mjs";

const { port } = settings();
const app = Fastify({ logger: false });
await app.register(fastifyStatic, {
    root: path.join(precompressedRoot(), "static"),
    prefix: "/static/",
    preCompressed: true,
    setHeaders: (reply) => reply.headers(cors),
});
await app.listen({ port, host: "127.0.0.1" });
ready(app.server.address().port);
