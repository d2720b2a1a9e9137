// Fastify answering GET /catalogue with the same 16 KiB object (as the same 4-space JSON, with the CORS
// headers vshs sends) from an async handler, compressed by @fastify/compress registered globally with its
// defaults (threshold 1 KiB, JSON among the compressible types, brotli at quality 4).
import fastifyCompress from "@fastify/compress";
import Fastify from "fastify";
import { catalogue } from "./catalogue.mjs";
import { cors, json, ready, settings } from "./common.mjs";

const { port } = settings();
const page = catalogue();
const app = Fastify({ logger: false });
await app.register(fastifyCompress);
app.get("/catalogue", async (_request, reply) => {
    reply.headers(cors).type("application/json");
    return json(page);
});
await app.listen({ port, host: "127.0.0.1" });
ready(app.server.address().port);
