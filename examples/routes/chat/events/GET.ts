import { channel } from "vshs";

/** The chat's live events (`message`), resumed from Last-Event-ID, or `vshs-reset` when that is too old. */
export default async function () {
    return channel("chat").stream();
}
