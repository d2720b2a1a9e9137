import { WebSocketResponse } from "vshs";

// Sends every message back as it came: text as text, binary as binary.
export default async function () {
    return new WebSocketResponse(async (self) => {
        for await (const message of self) await self.send(message);
    });
}
