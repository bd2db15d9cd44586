package org.alignstream.common.stage;

import java.util.List;

/**
 * The work of a stage that writes zero, one or several records, possibly to different topics, per input record. All
 * outputs are encoded before any is written: if one fails, none is written and the input goes to dead-letters.
 *
 * @param <I> input record type
 */
@FunctionalInterface
public interface RoutingStageFunction<I> {
  List<StageOutput> apply(I input) throws Exception;
}
