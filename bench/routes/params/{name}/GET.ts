import type { HandlerParams } from "vshs";

export default async function ({ route }: HandlerParams) {
    return { name: route.vars.name };
}
