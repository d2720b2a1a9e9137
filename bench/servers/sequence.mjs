/** A small deterministic pseudo-random sequence (a 32-bit xorshift): the same data on every run and in every server. */
export function sequence(seed) {
    let state = seed >>> 0 || 1;
    return () => {
        state ^= state << 13;
        state >>>= 0;
        state ^= state >>> 17;
        state ^= state << 5;
        state >>>= 0;
        return state / 4294967296;
    };
}
