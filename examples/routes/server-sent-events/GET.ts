import { SSEResponse } from "vshs";

export default async function () {
    return new SSEResponse(async (self) => {
        let count = 0;
        const send = () => self.send({ count: count++ }, "event_name");
        send();
        const timer = setInterval(send, 1000);
        self.onConnectionClosed = () => clearInterval(timer);
    });
}
