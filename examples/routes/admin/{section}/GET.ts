import type { HandlerParams } from "vshs";

/** Any other admin page, e.g. /admin/users → `{ "section": "users" }`: behind the same token check. */
export default async function ({ route }: HandlerParams) {
    return { section: route.vars.section };
}
