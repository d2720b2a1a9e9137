import { H3, serve } from "h3";
import { cors, hello, json, manyRoutes, ready, settings } from "./common.mjs";

const { port, many } = settings();
const app = new H3();
const sendJSON = (value) => new Response(json(value), { headers: { ...cors, "content-type": "application/json" } });
app.get("/hello-world", () => sendJSON(hello()));
app.post("/echo", async (event) => sendJSON(await event.req.json()));
app.get("/params/:name", (event) => sendJSON({ name: decodeURIComponent(event.context.params.name) }));
if (many) for (let i = 0; i < manyRoutes; i++) app.get(`/r${i}/:id`, () => sendJSON(hello()));
const server = serve(app, { port, hostname: "127.0.0.1", silent: true });
await server.ready();
ready(new URL(server.url).port);
