package org.alignstream.drills;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * ops/prometheus/alerts.test.yml (run by {@code promtool test rules} in {@link PrometheusIT}) covers every alert of
 * ops/prometheus/alerts.yml: each alert has a case where it fires with its labels and annotations, and one where it
 * stays silent; and it names no alert that does not exist.
 */
class AlertRuleTestsTest {

    @Test
    void everyAlertHasAFiringAndASilentCase() {
        Path root = ComposeFile.repositoryRoot();
        Set<String> alerts = PrometheusIT.alertNames(root);
        assertThat(alerts).as("alerts in alerts.yml").hasSizeGreaterThanOrEqualTo(11)
                .contains("AlignstreamStageDown", "AlignstreamConsumerLagHigh", "AlignstreamDeadLetterRate",
                        "AlignstreamRetrainFailed");
        Map<String, Set<String>> cases = cases(root.resolve("ops/prometheus/alerts.test.yml"));
        assertThat(cases.keySet()).as("alerts named in alerts.test.yml").isSubsetOf(alerts);
        Map<String, Set<String>> missing = new TreeMap<>();
        for (String alert : alerts) {
            Set<String> kinds = cases.getOrDefault(alert, Set.of());
            Set<String> lacking = new TreeSet<>(Set.of("fires", "silent"));
            lacking.removeAll(kinds);
            if (!lacking.isEmpty()) {
                missing.put(alert, lacking);
            }
        }
        assertThat(missing).as("alerts without a firing or a silent case in alerts.test.yml").isEmpty();
    }

    /** Alert name to the kinds of its cases: "fires" (exp_alerts not empty) and "silent" (exp_alerts empty). */
    private static Map<String, Set<String>> cases(Path testFile) {
        Map<String, Set<String>> out = new TreeMap<>();
        Map<String, Object> doc = ComposeFile.map(ComposeFile.parseYaml(ComposeFile.read(testFile)), "alerts.test.yml");
        for (Object t : ComposeFile.list(doc.get("tests"), "tests")) {
            for (Object c : ComposeFile.list(ComposeFile.map(t, "test").get("alert_rule_test"), "alert_rule_test")) {
                Map<String, Object> rule = ComposeFile.map(c, "alert_rule_test");
                boolean fires = !ComposeFile.list(rule.get("exp_alerts"), "exp_alerts").isEmpty();
                out.computeIfAbsent(String.valueOf(rule.get("alertname")), k -> new TreeSet<>())
                        .add(fires ? "fires" : "silent");
            }
        }
        return out;
    }
}
