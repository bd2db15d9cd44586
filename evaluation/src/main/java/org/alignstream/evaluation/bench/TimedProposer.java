package org.alignstream.evaluation.bench;

import java.util.List;
import java.util.Objects;
import org.alignstream.avro.Candidate;
import org.alignstream.avro.DecodeState;
import org.alignstream.avro.ModelRef;
import org.alignstream.avro.PromptRequest;
import org.alignstream.generator.StepProposer;

/**
 * A {@link StepProposer} that adds up the wall time its delegate spends in {@link #start} and {@link #propose}: the
 * generator's share of a bare decoding loop (the rest is the scorer's and the selector's). Not thread-safe: one loop.
 */
final class TimedProposer implements StepProposer {
    private final StepProposer delegate;
    private long nanos;

    TimedProposer(StepProposer delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    /** Wall nanoseconds spent in the delegate since construction. */
    long nanos() {
        return nanos;
    }

    @Override
    public DecodeState start(PromptRequest request) {
        long t0 = System.nanoTime();
        try {
            return delegate.start(request);
        } finally {
            nanos += System.nanoTime() - t0;
        }
    }

    @Override
    public List<Candidate> propose(DecodeState state) {
        long t0 = System.nanoTime();
        try {
            return delegate.propose(state);
        } finally {
            nanos += System.nanoTime() - t0;
        }
    }

    @Override
    public ModelRef model() {
        return delegate.model();
    }

    @Override
    public ModelRef baselineModel() {
        return delegate.baselineModel();
    }
}
