package org.alignstream.drills;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.alignstream.common.pipeline.Pipeline;
import org.alignstream.common.pipeline.StageSpec;
import org.alignstream.common.security.AccessControl;
import org.alignstream.common.topics.Topics;
import org.junit.jupiter.api.Test;

/**
 * The documents say what the pipeline registry ({@link Pipeline}) says: the README's stage table (module, reads,
 * writes, in flow order), its topic table (every topic, in flow order) and the ACL table of docs/SECURITY.md
 * ({@link AccessControl#standard()}, derived from the registry). The compose file is checked against it by
 * {@link DeploymentChecks}.
 */
class PipelineDocumentsTest {

    private static final Pattern TOPIC = Pattern.compile("`([a-z-]+)`");
    private static final Path ROOT = ComposeFile.repositoryRoot();

    @Test
    void theReadmeStageTableListsEachStagesModuleAndTopicsInFlowOrder() {
        Map<String, List<List<String>>> rows = tableRows(ComposeFile.read(ROOT.resolve("README.md")),
                "| stage | reads | writes |");
        assertThat(rows.keySet()).containsExactlyElementsOf(Pipeline.STAGES.stream().map(StageSpec::module).toList());
        for (StageSpec stage : Pipeline.STAGES) {
            List<List<String>> cells = rows.get(stage.module());
            assertThat(cells.get(0)).as("%s reads", stage.module()).isEqualTo(stage.readNames());
            assertThat(cells.get(1)).as("%s writes (besides dead-letters)", stage.module())
                    .isEqualTo(stage.writeNames().stream().filter(t -> !t.equals(Topics.DEAD_LETTERS)).toList());
        }
    }

    @Test
    void theReadmeTopicTableListsEveryTopicInFlowOrder() {
        Map<String, List<List<String>>> rows = tableRows(ComposeFile.read(ROOT.resolve("README.md")),
                "| topic | key | value");
        assertThat(rows.keySet()).containsExactlyElementsOf(Topics.ALL);
    }

    @Test
    void theSecurityAclTableIsTheRegistrysGrants() {
        Map<String, List<List<String>>> rows = tableRows(ComposeFile.read(ROOT.resolve("docs/SECURITY.md")),
                "| Principal ");
        Map<String, List<List<String>>> expected = new LinkedHashMap<>();
        for (AccessControl.Grant g : AccessControl.standard()) {
            expected.put("User:" + g.user(), List.of(g.reads(), g.writes()));
        }
        assertThat(rows).isEqualTo(expected);
    }

    @Test
    void aTableThatDisagreesIsCaught() {
        String readme = ComposeFile.read(ROOT.resolve("README.md"));
        String swapped = readme.replace("| `selector-service` | `scored-candidates` |", "| `selector-service` | `candidates` |");
        assertThat(swapped).isNotEqualTo(readme);
        assertThat(tableRows(swapped, "| stage | reads | writes |").get("selector-service").get(0))
                .isNotEqualTo(Pipeline.SELECTOR.readNames());
    }

    /**
     * The rows of the markdown table whose header line starts with {@code header}: first cell (its backticked name, or
     * the text) to the backticked topic names of each further cell, parenthesised remarks left out.
     */
    static Map<String, List<List<String>>> tableRows(String markdown, String header) {
        String[] lines = markdown.split("\n");
        int at = -1;
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].startsWith(header)) {
                at = i;
                break;
            }
        }
        assertThat(at).as("a table headed %s", header).isNotNegative();
        Map<String, List<List<String>>> rows = new LinkedHashMap<>();
        for (int i = at + 2; i < lines.length && lines[i].startsWith("|"); i++) {
            String[] cells = lines[i].split("(?<!\\\\)\\|");
            List<String> names = topics(cells[1]);
            String key = names.isEmpty() ? cells[1].strip().replace("`", "") : names.get(0);
            List<List<String>> rest = new ArrayList<>();
            for (int c = 2; c < cells.length; c++) {
                rest.add(topics(cells[c].replaceAll("\\([^)]*\\)", "")));
            }
            rows.put(key, rest);
        }
        return rows;
    }

    private static List<String> topics(String cell) {
        List<String> out = new ArrayList<>();
        Matcher m = TOPIC.matcher(cell);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }
}
