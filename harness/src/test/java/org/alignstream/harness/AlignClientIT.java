package org.alignstream.harness;

import org.alignstream.clients.AlignClient;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.alignstream.common.runtime.EnvironmentDefaultProvider;
import org.alignstream.common.topics.Topics;
import org.alignstream.core.decoding.AlignmentMethod;
import org.alignstream.embedded.EmbeddedKafkaCluster;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code ops/align.sh}'s command against the running pipeline: an answer, a rejection, a timeout. */
class AlignClientIT {
    private static PipelineFixture fixture;

    @BeforeAll
    static void start() {
        fixture = PipelineFixture.start();
    }

    @AfterAll
    static void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    /** Exit code, stdout and stderr of one run. */
    record Run(int exitCode, String out, String err) {
    }

    static Run run(Map<String, String> environment, String... args) {
        CommandLine cl = AlignClient.commandLine(environment);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    static Run run(String... args) {
        List<String> all = new ArrayList<>(List.of("--bootstrap-servers", fixture.bootstrapServers()));
        all.addAll(List.of(args));
        return run(Map.of(), all.toArray(String[]::new));
    }

    @Test
    void aGoodPromptIsAnsweredWithTextRewardCandidateRewardsAndTimings() {
        Run r = run("--prompt", "It is a truth universally acknowledged", "--id", "client-good", "--n", "4",
                "--max-new-tokens", "12", "--seed", "11", "--top-k", "50", "--temperature", "0.8", "--top-p", "0.9");
        System.out.println(r.out());
        assertThat(r.exitCode()).as("exit code; stderr: %s", r.err()).isZero();
        assertThat(r.out()).contains("id: client-good (method best_of_n, n=4, seed 11)",
                "prompt: It is a truth universally acknowledged", "text: ", "timings ms: ", "end_to_end=",
                "generator=", "scorer=", "selector=", "models: generator lm-austen@");
        Matcher reward = Pattern.compile("reward: ([+-][0-9.]+) \\(candidate (\\d) of 4, counting from 1\\)")
                .matcher(r.out());
        assertThat(reward.find()).as(r.out()).isTrue();
        Matcher rewards = Pattern.compile("candidate rewards: \\[([^]]*)]").matcher(r.out());
        assertThat(rewards.find()).as(r.out()).isTrue();
        double[] all = Pattern.compile(", ").splitAsStream(rewards.group(1)).mapToDouble(Double::parseDouble).toArray();
        assertThat(all).hasSize(4);
        int chosen = Integer.parseInt(reward.group(2)) - 1;
        assertThat(Double.parseDouble(reward.group(1))).isEqualTo(all[chosen]);
        for (double x : all) {
            assertThat(x).as("the chosen reward is the largest").isLessThanOrEqualTo(all[chosen]);
        }
    }

    @Test
    void everyMethodIsAnsweredWithNothingButItsNameAndAPromptOnTheMethodsDefaults() {
        for (String method : AlignmentMethod.wireNames()) {
            long t0 = System.nanoTime();
            Run r = run("--prompt", "She was", "--method", method, "--id", "client-defaults-" + method);
            System.out.printf("%s answered in %.1f s:%n%s%n", method, (System.nanoTime() - t0) / 1e9, r.out());
            assertThat(r.exitCode()).as("%s: exit code; stderr: %s", method, r.err()).isZero();
            String count = AlignmentMethod.of(method).orElseThrow().candidateCount().wireName();
            assertThat(r.out()).as(method).containsPattern("\\(method " + method + ", " + count + "=[1-9][0-9]*, seed")
                    .contains("KL: ");
        }
    }

    @Test
    void jsonPrintsTheWholeResponseAndTheBootstrapServersComeFromTheEnvironment() {
        Map<String, String> env = Map.of(EnvironmentDefaultProvider.variableName("--bootstrap-servers"),
                fixture.bootstrapServers());
        Run r = run(env, "--prompt", "She was", "--id", "client-json", "--n", "2", "--max-new-tokens", "8",
                "--seed", "3", "--json");
        assertThat(r.exitCode()).as("exit code; stderr: %s", r.err()).isZero();
        assertThat(r.out()).contains("\"id\" : \"client-json\"", "\"prompt\" : \"She was\"", "\"method\" : \"best_of_n\"",
                "\"n\" : 2", "\"candidate_rewards\"", "\"generator_model\"", "\"reward_model\"", "\"timings_ms\"");
    }

    @Test
    void anInvalidRequestPrintsTheDeadLetterReasonAndExitsNonZero() {
        Run r = run("--prompt", "She was", "--id", "client-n0", "--n", "-1", "--timeout-s", "60");
        assertThat(r.exitCode()).isEqualTo(AlignClient.EXIT_REJECTED);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).contains("request client-n0 was rejected by the generator stage",
                "n must be between 1 and 64, was -1", "dead-letters");
    }

    @Test
    void aBrokerWithoutThePipelineIsReportedAndNoAnswerInTimeIsAClearTimeout() throws Exception {
        try (EmbeddedKafkaCluster idle = EmbeddedKafkaCluster.start()) {
            // a broker without the pipeline's topics: said so, and the client creates none
            Run none = run(Map.of(), "--bootstrap-servers", idle.bootstrapServers(), "--prompt", "She was");
            assertThat(none.exitCode()).isEqualTo(AlignClient.EXIT_UNREACHABLE);
            assertThat(none.err()).contains("topic dead-letters does not exist on " + idle.bootstrapServers(),
                    "is the pipeline running?");
            try (Admin admin = Admin.create(idle.clientConfig())) {
                assertThat(admin.listTopics().names().get()).doesNotContain(Topics.DEAD_LETTERS, Topics.PROMPTS);
            }
            // a broker with the topics but no stages running: nobody answers
            idle.createTopics(1, Topics.PROMPTS, Topics.ALIGNED_RESPONSES, Topics.DEAD_LETTERS);
            Run r = run(Map.of(), "--bootstrap-servers", idle.bootstrapServers(), "--prompt", "She was",
                    "--id", "client-unanswered", "--timeout-s", "2");
            assertThat(r.exitCode()).isEqualTo(AlignClient.EXIT_TIMEOUT);
            assertThat(r.out()).isEmpty();
            assertThat(r.err()).contains("no response to request client-unanswered within 2 s",
                    "is the pipeline (generator, scorer, selector) running against " + idle.bootstrapServers(),
                    "dead-letters");
        }
    }

    @Test
    void missingPromptIsAUsageError() {
        Run r = run("--n", "2");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("Missing required option: '--prompt");
    }
}
