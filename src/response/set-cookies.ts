import type { Answer } from "../contract.ts";
import type { CookieJar } from "../request/cookies.ts";

/**
 * The answer with the cookies the handler (or its middleware) set or deleted, whatever the answer is —
 * a value, an error, a returned Response (its own Set-Cookie lines kept first), an event stream. Waits
 * for signatures; a cookie that could not be set (no secret for a signed one) makes the answer `fail`'s.
 */
export function withCookiesOf(jar: CookieJar | undefined, answer: Answer | Promise<Answer>, fail: (error: unknown) => Promise<Answer>): Answer | Promise<Answer> {
    if (jar === undefined || !jar.changed) return answer;
    let lines: string[] | Promise<string[]>;
    try {
        lines = jar.setCookieLines();
    } catch (error) {
        return fail(error);
    }
    if (!(answer instanceof Promise) && Array.isArray(lines)) return withSetCookie(answer, lines);
    return Promise.all([answer, lines]).then(([ready, settled]) => withSetCookie(ready, settled), fail);
}

function withSetCookie(answer: Answer, lines: string[]): Answer {
    const own = answer.headers["set-cookie"];
    const existing = own === undefined ? [] : Array.isArray(own) ? own : [own];
    const { reused: _shared, ...rest } = answer as Answer & { reused?: true };
    return { ...rest, headers: { ...answer.headers, "set-cookie": [...existing, ...lines] } } as Answer;
}
