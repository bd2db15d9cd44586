package org.alignstream.evaluation.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class TokenwiseConfigTest {

    @Test
    void readsGuaranteeCommitIntervalAndOptionalLinger() {
        TokenwiseConfig eos = TokenwiseConfig.parse("eos:100");
        assertThat(eos).isEqualTo(new TokenwiseConfig(true, 100, null));
        assertThat(eos.stageArgs()).containsExactly("--processing-guarantee=exactly_once_v2", "--commit-interval-ms=100");
        assertThat(eos.label()).isEqualTo("eos:100");

        TokenwiseConfig alo = TokenwiseConfig.parse(" ALO:100:0 ");
        assertThat(alo).isEqualTo(new TokenwiseConfig(false, 100, 0));
        assertThat(alo.guarantee()).isEqualTo("at_least_once");
        assertThat(alo.stageArgs()).containsExactly("--processing-guarantee=at_least_once", "--commit-interval-ms=100",
                "--producer-linger-ms=0");
        assertThat(alo.label()).isEqualTo("alo:100:0");

        assertThat(TokenwiseConfig.parse("exactly_once_v2:10:5")).isEqualTo(new TokenwiseConfig(true, 10, 5));
        assertThat(TokenwiseConfig.parse("at_least_once:50")).isEqualTo(new TokenwiseConfig(false, 50, null));
    }

    @Test
    void anOptionalPollMsGoesToKafkaStreamsAsAConfigEntryAndADashKeepsADefault() {
        TokenwiseConfig c = TokenwiseConfig.parse("eos:20:-:20");
        assertThat(c).isEqualTo(new TokenwiseConfig(true, 20, null, 20));
        assertThat(c.stageArgs()).containsExactly("--processing-guarantee=exactly_once_v2", "--commit-interval-ms=20",
                "--config=poll.ms=20");
        assertThat(c.label()).isEqualTo("eos:20:-:20");
        TokenwiseConfig all = TokenwiseConfig.parse("alo:100:0:10");
        assertThat(all.stageArgs()).containsExactly("--processing-guarantee=at_least_once", "--commit-interval-ms=100",
                "--producer-linger-ms=0", "--config=poll.ms=10");
        assertThat(all.label()).isEqualTo("alo:100:0:10");
        assertThat(TokenwiseConfig.parse("eos:100:-").label()).isEqualTo("eos:100");
        assertThat(TokenwiseConfig.parse("eos:100:-:-")).isEqualTo(new TokenwiseConfig(true, 100, null, null));
        assertThatThrownBy(() -> TokenwiseConfig.parse("eos:20:-:0")).hasMessageContaining("poll.ms must be >= 1");
    }

    @Test
    void theDefaultListStartsWithTheStagesDefaults() {
        List<TokenwiseConfig> configs = TokenwiseConfig.parseList(TokenwiseConfig.DEFAULTS);
        assertThat(configs).extracting(TokenwiseConfig::label)
                .containsExactly("eos:10", "eos:100", "eos:50", "eos:20", "alo:100:5", "alo:100:0");
        // the first one sets exactly what the stages default to (StreamsCommand: exactly_once_v2, 10 ms, linger 5)
        assertThat(configs.get(0).stageArgs()).containsExactly("--processing-guarantee=exactly_once_v2",
                "--commit-interval-ms=10");
    }

    @Test
    void listSkipsBlanksAndRejectsRepeatsAndEmptiness() {
        assertThat(TokenwiseConfig.parseList("eos:10,,alo:100:0,")).extracting(TokenwiseConfig::label)
                .containsExactly("eos:10", "alo:100:0");
        assertThatThrownBy(() -> TokenwiseConfig.parseList("eos:10,eos:10")).hasMessageContaining("listed twice");
        assertThatThrownBy(() -> TokenwiseConfig.parseList(" , ")).hasMessageContaining("no tokenwise configs");
    }

    @Test
    void rejectsMalformedSpecs() {
        assertThatThrownBy(() -> TokenwiseConfig.parse("eos")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("GUARANTEE:COMMIT_MS[:LINGER_MS[:POLL_MS]]");
        assertThatThrownBy(() -> TokenwiseConfig.parse("eos:1:2:3:4")).hasMessageContaining("GUARANTEE:COMMIT_MS");
        assertThatThrownBy(() -> TokenwiseConfig.parse("exactly_once:100")).hasMessageContaining("guarantee must be");
        assertThatThrownBy(() -> TokenwiseConfig.parse("eos:fast")).hasMessageContaining("commit interval must be a whole");
        assertThatThrownBy(() -> TokenwiseConfig.parse("eos:-1")).hasMessageContaining("commit interval must be");
        assertThat(TokenwiseConfig.parse("eos:0").commitMs()).isZero();
        assertThatThrownBy(() -> TokenwiseConfig.parse("alo:100:-1")).hasMessageContaining("linger must be >= 0");
        assertThatThrownBy(() -> TokenwiseConfig.parse(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void stageArgsMustNotSetWhatTheConfigsSet() {
        List<TokenwiseConfig> noPoll = TokenwiseConfig.parseList("eos:100,alo:100:0");
        TokenwiseConfig.requireNoConflict(List.of("--num-stream-threads=2", "--config=poll.ms=10"), noPoll);
        assertThatThrownBy(() -> TokenwiseConfig.requireNoConflict(List.of("--commit-interval-ms=50"), noPoll))
                .hasMessageContaining("--stage-arg=--commit-interval-ms=50 conflicts with --tokenwise-configs");
        assertThatThrownBy(() -> TokenwiseConfig.requireNoConflict(List.of("--producer-linger-ms"), noPoll))
                .hasMessageContaining("conflicts");
        assertThatThrownBy(() -> TokenwiseConfig.requireNoConflict(List.of("--processing-guarantee=at_least_once"),
                noPoll)).hasMessageContaining("conflicts");
        assertThatThrownBy(() -> TokenwiseConfig.requireNoConflict(List.of("--config=poll.ms=10"),
                TokenwiseConfig.parseList("eos:100,eos:20:-:20"))).hasMessageContaining("sets poll.ms");
    }
}
