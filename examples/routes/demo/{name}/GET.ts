import { SSEResponse, type HandlerParams } from "vshs";
import { followMessages } from "./messages.ts";

/** The messages posted under this name, past and future, as events named "message". */
export default async function ({ route }: HandlerParams) {
    return new SSEResponse(async (self) => {
        const stop = await followMessages((message) => {
            if (message.name === route.vars.name) void self.send(message, "message");
        });
        if (self.closed) stop(); // the client left while the file was being read
        else self.onConnectionClosed = stop;
    });
}
