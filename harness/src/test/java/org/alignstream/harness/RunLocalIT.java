package org.alignstream.harness;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code ops/run-local.sh}'s command: its own embedded broker, the three stages, the sample prompts twice, then one
 * short round of simulated feedback.
 */
class RunLocalIT {
    private static final Pattern SUMMARY = Pattern.compile(
            "summary: prompts=(\\d+) responses=(\\d+) mean_reward_n1=(-?[0-9.]+) mean_reward_bon8=(-?[0-9.]+)");

    @Test
    void printsOneResponsePerPromptAndNThenTheSummaryLast() {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream original = System.out;
        int code;
        try (PrintStream tee = new PrintStream(captured, true, StandardCharsets.UTF_8)) {
            System.setOut(tee);
            code = new CommandLine(new RunLocal()).execute("--gateway-port", "0", "--max-new-tokens", "8",
                    "--feedback-rounds", "1", "--feedback-events-per-round", "20", "--feedback-eval-sets", "4");
        } finally {
            System.setOut(original);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        original.print(out);
        List<String> lines = out.lines().filter(l -> !l.isBlank()).toList();
        assertThat(lines).isNotEmpty();
        assertThat(lines).anySatisfy(l -> assertThat(l).matches("  gateway: http://localhost:\\d+/v1 .*"));
        Matcher m = SUMMARY.matcher(lines.get(lines.size() - 1));
        assertThat(m.matches()).as("last line: %s", lines.get(lines.size() - 1)).isTrue();
        int prompts = Integer.parseInt(m.group(1));
        int responses = Integer.parseInt(m.group(2));
        assertThat(prompts).isEqualTo(SamplePrompts.load(null).size());
        assertThat(responses).isEqualTo(2 * prompts);
        assertThat(code).isZero();
        assertThat(lines).filteredOn(l -> l.startsWith("[n1-")).hasSize(prompts);
        assertThat(lines).filteredOn(l -> l.startsWith("[bon8-")).hasSize(prompts);
        assertThat(Double.parseDouble(m.group(3))).isFinite();
        assertThat(Double.parseDouble(m.group(4))).isFinite();
        // the feedback phase: agreement before, one round of 20 events, a new version live (or refused by the gate),
        // the agreement after, all before the summary
        int before = indexOf(lines, "proxy-gold agreement before feedback");
        int round = indexOf(lines, "round 1: ");
        int after = indexOf(lines, "proxy-gold agreement after feedback");
        assertThat(before).isLessThan(round);
        assertThat(round).isLessThan(after);
        assertThat(lines.get(round)).contains("20 events sent");
        // feedback publishes the bundled head's version + 1
        String bundled = org.alignstream.inference.reward.RewardModels.bundledSentimentVersion();
        String first = "live: sentiment v" + (Long.parseLong(bundled) + 1);
        assertThat(lines.subList(round + 1, after)).anySatisfy(l -> assertThat(l).containsAnyOf(
                first, "the validation gate refused it"));
        int done = indexOf(lines, "feedback: events=");
        assertThat(done).isGreaterThan(after).isLessThan(lines.size() - 1);
        assertThat(lines.get(done)).matches("feedback: events=20 versions_live=[01] agreement_pairwise .*");
    }

    private static int indexOf(List<String> lines, String prefix) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(prefix) || lines.get(i).strip().startsWith(prefix)) {
                return i;
            }
        }
        throw new AssertionError("no line starting with '" + prefix + "'");
    }
}
