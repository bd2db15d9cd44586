package org.alignstream.clients;

import org.alignstream.common.pipeline.Pipeline;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.alignstream.avro.EditEvent;
import org.alignstream.common.runtime.KafkaClientOptions;
import org.alignstream.avro.FeedbackEvent;
import org.alignstream.avro.PreferenceEvent;
import org.alignstream.common.runtime.EnvironmentDefaultProvider;
import org.alignstream.common.topics.Topics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ops/feedback.sh}: publishes one piece of human feedback to the {@code feedback} topic, a preference
 * ({@code --chosen}, {@code --rejected}) or a minimal edit ({@code --original}, {@code --edited}); also the producer
 * the demo's simulated annotator and the tests use ({@link #send}).
 */
@Command(name = "feedback", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Publishes a preference or a minimal edit to the feedback topic (keyed by event id).")
public final class FeedbackClient implements Callable<Integer>, AutoCloseable {

    @Spec
    CommandSpec spec;

    @Mixin
    KafkaClientOptions kafka = new KafkaClientOptions();


    @Option(names = "--id", description = "Event id; a repeated id is ignored (default: a random UUID)")
    String id;

    @Option(names = "--prompt", required = true, description = "The prompt the responses answer")
    String prompt;

    @Option(names = "--reward-model", defaultValue = "sentiment", description = "Reward model to train (default: ${DEFAULT-VALUE})")
    String rewardModel;

    @Option(names = "--annotator", defaultValue = "", description = "Annotator id")
    String annotator;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Kind kind;

    static final class Kind {
        @ArgGroup(exclusive = false)
        Preference preference;
        @ArgGroup(exclusive = false)
        Edit edit;
    }

    static final class Preference {
        @Option(names = "--chosen", required = true, description = "The preferred response")
        String chosen;
        @Option(names = "--rejected", required = true, description = "The other response")
        String rejected;
    }

    static final class Edit {
        @Option(names = "--original", required = true, description = "The response as given")
        String original;
        @Option(names = "--edited", required = true, description = "Its minimal edit")
        String edited;
    }

    private KafkaProducer<String, FeedbackEvent> producer;
    private final SendFailures failedSends = new SendFailures("feedback events");

    /** For the command line. */
    public FeedbackClient() {
    }

    /** A producer of feedback events on {@code clientConfig}'s broker. */
    public FeedbackClient(Map<String, Object> clientConfig) {
        producer = producer(clientConfig);
    }

    private static KafkaProducer<String, FeedbackEvent> producer(Map<String, Object> clientConfig) {
        Map<String, Object> p = new HashMap<>(clientConfig);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        return new KafkaProducer<>(p, new StringSerializer(), Pipeline.FEEDBACK.serde().serializer());
    }

    /** Publishes one event keyed by its id; its acknowledgement is checked by the next {@link #flush()}. */
    public void send(FeedbackEvent event) {
        producer.send(new ProducerRecord<>(Topics.FEEDBACK, event.getId(), event), failedSends.callback(event.getId()));
    }

    /**
     * Waits until every event sent so far is acknowledged or has failed.
     *
     * @throws NotAcknowledgedException naming every event whose send failed since the last flush, with its reason
     */
    public void flush() {
        producer.flush();
        failedSends.check();
    }

    /** A preference event. */
    public static FeedbackEvent preference(String id, String rewardModel, String prompt, String chosen, String rejected) {
        return FeedbackEvent.newBuilder().setId(id).setRewardModel(rewardModel).setTimeMs(System.currentTimeMillis())
                .setEvent(PreferenceEvent.newBuilder().setPrompt(prompt).setChosen(chosen).setRejected(rejected).build())
                .build();
    }

    /** A minimal-edit event. */
    public static FeedbackEvent edit(String id, String rewardModel, String prompt, String original, String edited) {
        return FeedbackEvent.newBuilder().setId(id).setRewardModel(rewardModel).setTimeMs(System.currentTimeMillis())
                .setEvent(EditEvent.newBuilder().setPrompt(prompt).setOriginal(original).setEdited(edited).build())
                .build();
    }

    /** The event the command line describes. */
    FeedbackEvent event() {
        String eventId = id == null ? UUID.randomUUID().toString() : id;
        FeedbackEvent e = kind.preference != null
                ? preference(eventId, rewardModel, prompt, kind.preference.chosen, kind.preference.rejected)
                : edit(eventId, rewardModel, prompt, kind.edit.original, kind.edit.edited);
        e.setAnnotatorId(annotator);
        return e;
    }

    @Override
    public Integer call() {
        FeedbackEvent event = event();
        Map<String, Object> clientConfig = kafka.clientConfig();
        try (KafkaProducer<String, FeedbackEvent> p = producer(clientConfig)) {
            p.send(new ProducerRecord<>(Topics.FEEDBACK, event.getId(), event)).get();
        } catch (Exception e) {
            spec.commandLine().getErr().println("cannot publish to " + Topics.FEEDBACK + " on " + kafka.bootstrapServers() + ": "
                    + e.getMessage());
            return AlignClient.EXIT_UNREACHABLE;
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println("published feedback " + event.getId() + " to " + Topics.FEEDBACK);
        out.flush();
        return 0;
    }

    @Override
    public void close() {
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
        }
    }

    /** The command line with options defaulting from {@code ALIGNSTREAM_*} variables of {@code environment}. */
    public static CommandLine commandLine(Map<String, String> environment) {
        CommandLine cl = new CommandLine(new FeedbackClient());
        cl.setDefaultValueProvider(new EnvironmentDefaultProvider(environment));
        return cl;
    }

    public static void main(String[] args) {
        System.exit(commandLine(System.getenv()).execute(args));
    }
}
