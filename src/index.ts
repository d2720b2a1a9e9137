export { startHTTPServer, startHTTPServer as default } from "./server.ts";
export { HTTPError } from "./errors.ts";
export { SSEResponse } from "./response/event-stream.ts";
export { channel, Channel } from "./channels/channel.ts";
export { getQuery } from "./request/query.ts";
export { rateLimit } from "./rate-limit/rate-limit.ts";
export { rootDir } from "./paths.ts";
export type { EventFields } from "./response/event-frame.ts";
export type { AccessLogEntry, AccessLogger, CookieOptions, Cookies, Handler, HandlerParams, Locals, Middleware, RequestInfo, Route, RouteInfo, RoutesObject, ServerHandle, StartOptions } from "./types.ts";
