/**
 * The pattern a variable inside a segment gets. find-my-way joins a segment's variables and texts into one
 * regular expression run on the percent-decoded segment (`{a}-{b}.tgz` → `^(…)-(…)\.tgz$`). With every
 * variable lazy (`[^]+?`, `[^]`: line breaks too), a near-miss makes the regex try every way of sharing the
 * segment among the variables: time polynomial in its length, the degree growing with the variables.
 *
 * So a variable followed by a text and another variable takes one character, then characters up to the
 * first place that text starts: it can end in one place only, each other end fails after one comparison
 * of the text, and the whole match is linear in the segment's length. The last variable stays lazy: it
 * ends where the segment's final text begins, found in one pass.
 *
 * The values are the lazy pattern's. It gives each variable the shortest value after which the rest
 * matches, and the first place its text starts is that value whenever any place is: ending later only
 * makes the next variable start later, and that variable can take the characters in between, so if the
 * rest matches from a later place it matches from the first one too.
 */

/** `[^]` and not `.`: a decoded value may hold line breaks. */
const lazyValue = "([^]+?)";

/** The capture for a variable, given the text between it and the next variable (none: it is the last). */
export function variableCapture(textBeforeNextVariable: string | undefined): string {
    if (textBeforeNextVariable === undefined) return lazyValue;
    return `([^](?:(?!${asRegExpText(textBeforeNextVariable)})[^])*)`;
}

/**
 * The text as find-my-way writes it into the segment's regex, so that a variable stops where the regex
 * will look for the text: it writes "%" as "%25" (its encoded form, although the value it matches is
 * decoded) and escapes what a regex would read as syntax.
 */
function asRegExpText(text: string): string {
    return text.replaceAll("%", "%25").replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
