import fastifyStatic from "@fastify/static";
import Fastify from "fastify";
import path from "node:path";
import { cors, hello, json, manyRoutes, publicDir, ready, settings } from "./common.mjs";

const { port, many } = settings();
const app = Fastify({ logger: false });
const sendJSON = (reply, value) => reply.headers(cors).type("application/json").send(json(value));
app.get("/hello-world", (_request, reply) => sendJSON(reply, hello()));
app.post("/echo", (request, reply) => sendJSON(reply, request.body));
app.get("/params/:name", (request, reply) => sendJSON(reply, { name: request.params.name }));
if (many) for (let i = 0; i < manyRoutes; i++) app.get(`/r${i}/:id`, (_request, reply) => sendJSON(reply, hello()));
await app.register(fastifyStatic, {
    root: path.join(publicDir, "static"),
    prefix: "/static/",
    setHeaders: (reply) => reply.headers(cors),
});
await app.listen({ port, host: "127.0.0.1" });
ready(app.server.address().port);
