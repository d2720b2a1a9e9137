import { list } from "../store.ts";

/** Every kept message with its event id, oldest first: what a page (re)loads. */
export default async function () {
    return list();
}
