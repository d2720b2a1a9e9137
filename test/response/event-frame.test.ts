import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SSEResponse } from "vshs";
import { serve } from "../helpers/server.ts";

/** Each send's outcome, in order: the framed text the client got, or the refusal's message as an event. */
const server = await serve({
    routes: {
        "/full/GET": () =>
            new SSEResponse(async (self) => {
                await self.sendEvent({ data: "line one\nline two\r\nline three\rline four", event: "note", id: "7", retry: 2500 });
                await self.sendEvent({ data: { kept: "as JSON" }, id: 8 });
                await self.sendEvent({ data: "" });
                self.close();
            }),
        "/refused/GET": () =>
            new SSEResponse(async (self) => {
                const attempts = [
                    { data: 1, event: "two\nlines" },
                    { data: 1, event: "carriage\rreturn" },
                    { data: 1, id: "4\n2" },
                    { data: 1, id: "4\r\n2" },
                    { data: 1, id: "nul\0" },
                    { data: 1, retry: -1 },
                    { data: 1, retry: 1.5 },
                ];
                for (const attempt of attempts) {
                    const outcome = await self.sendEvent(attempt).then(() => "sent", (error: Error) => error.message);
                    await self.send(outcome, "outcome");
                }
                self.close();
            }),
        "/seed-form/GET": () =>
            new SSEResponse(async (self) => {
                // send() is always the seed's form, even for an object that looks like sendEvent()'s fields.
                await self.send({ data: "x", id: "1" }, "wrapped");
                await self.send({ data: "relayed", id: "9", retry: 1 });
                await self.send("quoted\ntext");
                await self.sendEvent(null as never).catch((error: Error) => self.send(error.message, "refused"));
                self.close();
            }),
    },
});

describe("event framing", () => {
    it("splits multi-line string data into data: lines and sends id and retry", async () => {
        const text = await (await server.fetch("/full")).text();
        assert.equal(
            text,
            ":ok\n\n" +
                "event: note\nid: 7\nretry: 2500\ndata: line one\ndata: line two\ndata: line three\ndata: line four\n\n" +
                'id: 8\ndata: {"kept":"as JSON"}\n\n' +
                "data: \n\n",
        );
    });

    it("refuses a line break in event or id, a NUL in id, and a retry that is not a whole number of ms", async () => {
        const text = await (await server.fetch("/refused")).text();
        const outcomes = [...text.matchAll(/^data: (.*)$/gm)].map((match) => JSON.parse(match[1]!));
        assert.deepEqual(outcomes, [
            "An event name cannot contain a line break",
            "An event name cannot contain a line break",
            "An event id cannot contain a line break",
            "An event id cannot contain a line break",
            "An event id cannot contain a NUL character",
            "retry must be a whole number of milliseconds, not -1",
            "retry must be a whole number of milliseconds, not 1.5",
        ]);
        assert.doesNotMatch(text, /^(?!event: outcome|data: |:ok)./m, "nothing refused reached the stream");
    });

    it("keeps send(data, event?) as the seed has it: data as JSON on one line, whatever keys it holds", async () => {
        const text = await (await server.fetch("/seed-form")).text();
        assert.equal(
            text,
            ':ok\n\nevent: wrapped\ndata: {"data":"x","id":"1"}\n\n' +
                'data: {"data":"relayed","id":"9","retry":1}\n\n' +
                'data: "quoted\\ntext"\n\n' +
                'event: refused\ndata: "sendEvent() takes { data, event?, id?, retry? }"\n\n',
        );
    });
});
