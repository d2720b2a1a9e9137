import { HTTPError } from "vshs";

export default async function () {
    throw new HTTPError(403, "Forbidden Access");
}
