import { getQuery, type HandlerParams } from "vshs";

export default async function ({ url, body, route }: HandlerParams) {
    return {
        urlParams: getQuery(url),
        bodyParams: body,
        pathParams: route.vars,
    };
}
