import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { cors, hello, json, manyRoutes, ready, settings } from "./common.mjs";

const { port, many } = settings();
const app = new Hono();
const sendJSON = (c, value) => c.body(json(value), 200, { ...cors, "content-type": "application/json" });
app.get("/hello-world", (c) => sendJSON(c, hello()));
app.post("/echo", async (c) => sendJSON(c, await c.req.json()));
app.get("/params/:name", (c) => sendJSON(c, { name: c.req.param("name") }));
if (many) for (let i = 0; i < manyRoutes; i++) app.get(`/r${i}/:id`, (c) => sendJSON(c, hello()));
serve({ fetch: app.fetch, port, hostname: "127.0.0.1" }, (info) => ready(info.port));
