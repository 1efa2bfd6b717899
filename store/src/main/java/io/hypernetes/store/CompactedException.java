package io.hypernetes.store;

/** The revision asked for is compacted away. */
public final class CompactedException extends StoreException {
    private final long compactedRevision;

    public CompactedException(long requested, long compactedRevision) {
        super("revision " + requested + " is compacted (compacted revision " + compactedRevision + ")");
        this.compactedRevision = compactedRevision;
    }

    public long compactedRevision() {
        return compactedRevision;
    }
}
