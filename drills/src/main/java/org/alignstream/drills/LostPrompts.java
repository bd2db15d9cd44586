package org.alignstream.drills;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.alignstream.common.pipeline.Pipeline;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Where an unanswered prompt of a drill went missing: whether its prompt is committed on {@code prompts} (the client's
 * send reached the log) and whether an answer is committed on {@code aligned-responses} (the pipeline answered it and
 * only the client's reader missed it). Read from the beginning of both topics, so it is meant for the few prompts a
 * drill lost, after the fact.
 */
final class LostPrompts {
    private final CommittedRecords prompts;
    private final CommittedRecords answers;

    LostPrompts(Map<String, Object> clientConfig) {
        this.prompts = new CommittedRecords(clientConfig, Pipeline.PROMPTS);
        this.answers = new CommittedRecords(clientConfig, Pipeline.ALIGNED_RESPONSES);
    }

    /** One line per lost prompt id, e.g. {@code restart_broker-7: prompt committed yes, answer committed no}. */
    void explain(String drill, Collection<String> lost) {
        if (lost.isEmpty()) {
            return;
        }
        Set<String> sent = keys(prompts, lost);
        Set<String> answered = keys(answers, lost);
        for (String id : lost) {
            System.out.printf("chaos: %s: no answer for %s: prompt committed on %s %s, answer committed on %s %s%n",
                    drill, id, Pipeline.PROMPTS.name(), sent.contains(id) ? "yes" : "no",
                    Pipeline.ALIGNED_RESPONSES.name(), answered.contains(id) ? "yes" : "no");
        }
    }

    private static Set<String> keys(CommittedRecords topic, Collection<String> wanted) {
        Set<String> found = new HashSet<>();
        for (ConsumerRecord<byte[], byte[]> r : topic.all()) {
            String key = r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
            if (key != null && wanted.contains(key)) {
                found.add(key);
            }
        }
        return found;
    }
}
