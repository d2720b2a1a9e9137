/** One registered cut-off, removable in constant time. */
export interface CutOff {
    cut: () => void;
    previous: CutOff | null;
    next: CutOff | null;
}

/**
 * What shutdown must cut once its deadline passes (requests still waiting for their handler, bodies
 * still streaming), as a linked list: Deno registers every pending request here, and a Set of closures
 * cost a hash for each and rehashed as it grew and shrank with the load (visible in V8's profile of Deno
 * under load: bench/README.md).
 */
export class CutOffs {
    #first: CutOff | null = null;

    add(cut: () => void): CutOff {
        const entry: CutOff = { cut, previous: null, next: this.#first };
        if (this.#first !== null) this.#first.previous = entry;
        this.#first = entry;
        return entry;
    }

    /** False if the entry was already cut (or removed). */
    remove(entry: CutOff): boolean {
        if (entry.previous === null && this.#first !== entry) return false;
        if (entry.previous === null) this.#first = entry.next;
        else entry.previous.next = entry.next;
        if (entry.next !== null) entry.next.previous = entry.previous;
        entry.previous = entry.next = null;
        return true;
    }

    /** Cuts every entry registered now, each once. */
    cutAll(): void {
        let entry = this.#first;
        this.#first = null;
        while (entry !== null) {
            const { next } = entry;
            entry.previous = entry.next = null;
            entry.cut();
            entry = next;
        }
    }
}

/** A response body vshs ended on purpose (a client not reading, shutdown): not an error to report. */
export class BodyCutOff extends Error {}
