/**
 * The keys vshs uses internally on its own objects, in one place. `Symbol.for`, so that an object made
 * by another copy of vshs (a route importing its own, or an older one) is still recognised and driven:
 * an SSEResponse still streams, an HTTPError still sets its status.
 */
export const httpErrorBrand: unique symbol = Symbol.for("vshs.HTTPError");
export const startStream: unique symbol = Symbol.for("vshs.SSEResponse.start");
export const clientGone: unique symbol = Symbol.for("vshs.SSEResponse.clientGone");
export const writeFrame: unique symbol = Symbol.for("vshs.SSEResponse.writeFrame");
export const closeWithRetry: unique symbol = Symbol.for("vshs.SSEResponse.closeWithRetry");
export const heartbeat: unique symbol = Symbol.for("vshs.SSEResponse.heartbeat");
export const follow: unique symbol = Symbol.for("vshs.channel.follow");
export const channelEvent: unique symbol = Symbol.for("vshs.channel.event");
export const channelReset: unique symbol = Symbol.for("vshs.channel.reset");
export const startSocket: unique symbol = Symbol.for("vshs.WebSocketResponse.start");
export const socketMessage: unique symbol = Symbol.for("vshs.WebSocketResponse.message");
/** On globalThis: the channel hub every copy of vshs in the process shares. */
export const channelHub: unique symbol = Symbol.for("vshs.channels");
/** On globalThis: the rate-limit stores every copy of vshs in the process shares. */
export const rateLimitHub: unique symbol = Symbol.for("vshs.rateLimits");
/** For tests, on the hub: how many channels this process keeps something for. */
export const keptChannels: unique symbol = Symbol.for("vshs.channels.kept");
/** What a runtime's promise peek (PromisePeek) returns for a promise that has not fulfilled yet. */
export const notFulfilled: unique symbol = Symbol("vshs.notFulfilled");
