/** Whether a Content-Type is worth compressing: text, JSON, XML, SVG… yes; images, video, archives no. */
import compressible from "compressible"; // mime-db's "compressible" flag per type, text/* and +json/+xml/+text for the rest

/**
 * The answer per Content-Type string: compressible() extracts the type with a regular expression and
 * looks it up in mime-db on each call, while a server's answers carry a handful of distinct types, so
 * each is decided once. Bounded, since handlers could set types built from request data.
 */
const decided = new Map<string, boolean>();
const maxDecided = 256;

export function isCompressible(contentType: string): boolean {
    let worth = decided.get(contentType);
    if (worth === undefined) {
        worth = decide(contentType);
        if (decided.size < maxDecided) decided.set(contentType, worth);
    }
    return worth;
}

function decide(contentType: string): boolean {
    // An event stream must reach its client event by event: a compressor in the way (here or in a proxy
    // that trusts our coding) tends to hold events back, and some EventSource clients cannot decode one.
    if (/^\s*text\/event-stream\s*(;|$)/i.test(contentType)) return false;
    return compressible(contentType) === true;
}
