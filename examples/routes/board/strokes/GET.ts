import { channel, WebSocketResponse } from "vshs";
import { asStroke, remember, strokesSoFar } from "../strokes.ts";

const board = channel("board");

/**
 * The whiteboard's socket: first the strokes drawn so far (`{ "event": "strokes", "data": [...] }`),
 * then each stroke anyone draws, as the channel's events (`{ id, event: "stroke", data }`). What the
 * page sends is one stroke per message, checked before it is kept and published.
 */
export default async function () {
    return new WebSocketResponse(async (self) => {
        await self.send({ event: "strokes", data: strokesSoFar() });
        void self.subscribe(board);
        for await (const message of self.json()) {
            const stroke = asStroke(message);
            if (stroke === undefined) return self.close(1008, "a stroke is { from: [x, y], to: [x, y], color: \"#rrggbb\" }, in the unit square");
            remember(stroke);
            await board.publish(stroke, "stroke");
        }
    });
}
