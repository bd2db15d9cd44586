package org.alignstream.evaluation.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class BenchArgumentsTest {

    private static Bench parse(String... args) {
        Bench bench = new Bench();
        new CommandLine(bench).parseArgs(args);
        return bench;
    }

    @Test
    void fullSizesByDefault() {
        Bench b = parse();
        assertThat(b.sizes()).isEqualTo(new Bench.Sizes(1, 3, 240, 24, 48, 60, 6, 60, 6, 40));
        assertThat(b.sections).as("the realistic, load and specrej sections run only when named")
                .isEqualTo(EnumSet.complementOf(EnumSet.of(Bench.Section.realistic, Bench.Section.load,
                        Bench.Section.specrej)));
        assertThat(b.stageArgs).isEmpty();
        assertThat(b.n).isEqualTo(8);
        assertThat(b.maxNewTokens).isEqualTo(32);
        assertThat(b.onnx.intraOpThreads()).isEqualTo(1);
    }

    @Test
    void quickShrinksSizesButExplicitFlagsWin() {
        Bench b = parse("--quick", "--scorer-records=100", "--repetitions", "4");
        assertThat(b.sizes()).isEqualTo(new Bench.Sizes(1, 4, 100, 10, 16, 20, 4, 20, 4, 12));
    }

    @Test
    void sectionsAndRepeatableStageFlags() {
        Bench b = parse("--sections=scorer,e2e", "--stage-arg=--commit-interval-ms=50",
                "--stage-arg=--processing-guarantee=at_least_once");
        assertThat(b.sections).containsExactlyInAnyOrder(Bench.Section.scorer, Bench.Section.e2e);
        assertThat(b.stageArgs).isEqualTo(List.of("--commit-interval-ms=50", "--processing-guarantee=at_least_once"));
    }

    @Test
    void rejectsAWarmUpAsLargeAsTheRun() {
        Bench b = parse("--scorer-records=10", "--scorer-warmup=10");
        assertThatThrownBy(b::sizes).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--scorer-warmup must be at least 1 and less than --scorer-records (10), was 10");
        assertThatThrownBy(() -> parse("--repetitions=0").sizes()).hasMessageContaining("--repetitions must be >= 1");
        assertThatThrownBy(() -> parse("--warmup-rounds=-1").sizes()).hasMessageContaining("--warmup-rounds must be >= 0");
    }

    @Test
    void tokenwiseDefaultsQuickSizesAndConfigs() {
        Bench b = parse();
        assertThat(b.tokenwiseSizes()).isEqualTo(new Bench.TokenwiseSizes(3, 12));
        assertThat(b.tokenwiseK).isEqualTo(10);
        assertThat(b.tokenwiseW).isEqualTo(1.0);
        assertThat(b.tokenwiseMaxNewTokens).isEqualTo(16);
        assertThat(b.tokenwiseWarmupPass).as("a warm-up pass before the first configuration").isTrue();
        assertThat(parse("--tokenwise-warmup-pass=false").tokenwiseWarmupPass).isFalse();
        assertThat(b.tokenwiseThroughputAll).isFalse();
        assertThat(b.tokenwiseConfigs()).extracting(TokenwiseConfig::label)
                .containsExactly("eos:10", "eos:100", "eos:50", "eos:20", "alo:100:5", "alo:100:0");
        assertThat(parse("--quick").tokenwiseSizes()).isEqualTo(new Bench.TokenwiseSizes(2, 6));
        Bench custom = parse("--quick", "--sections=tokenwise", "--tokenwise-configs=eos:10,alo:100:0",
                "--tokenwise-in-flight=8", "--tokenwise-throughput-all", "--tokenwise-k=5");
        assertThat(custom.sections).containsExactly(Bench.Section.tokenwise);
        assertThat(custom.tokenwiseSizes()).isEqualTo(new Bench.TokenwiseSizes(2, 8));
        assertThat(custom.tokenwiseConfigs()).containsExactly(new TokenwiseConfig(true, 10, null),
                new TokenwiseConfig(false, 100, 0));
        assertThat(custom.tokenwiseThroughputAll).isTrue();
        assertThat(custom.tokenwiseK).isEqualTo(5);
    }

    @Test
    void tokenwiseRejectsBadSizesBadConfigsAndConflictingStageFlags() {
        assertThatThrownBy(() -> parse("--tokenwise-in-flight=0").tokenwiseSizes())
                .hasMessageContaining("--tokenwise-in-flight must be >= 1");
        assertThatThrownBy(() -> parse("--tokenwise-requests=0").tokenwiseSizes())
                .hasMessageContaining("--tokenwise-requests must be >= 1");
        assertThatThrownBy(() -> parse("--tokenwise-configs=eos:100,fast").tokenwiseConfigs())
                .hasMessageContaining("GUARANTEE:COMMIT_MS");
        assertThatThrownBy(() -> parse("--stage-arg=--commit-interval-ms=10").tokenwiseConfigs())
                .hasMessageContaining("conflicts with --tokenwise-configs");
    }

    @Test
    void realisticBatchingAndScoringDefaultsAndBadCounts() {
        RealisticBench.Options o = parse("--sections=realistic").realisticOptions;
        assertThat(o.batchingTokens).as("fewer new tokens than the bundled-model bench, for the section's time")
                .isEqualTo(16);
        assertThat(o.batchingRepetitions).isEqualTo(2);
        assertThat(o.scoringPrefixTokens).as("the issue's least prefix").isEqualTo(64);
        assertThat(o.scoringRounds).isEqualTo(10);
        o.validate();
        for (String flag : new String[] {"--realistic-batching-tokens", "--realistic-batching-repetitions",
                "--realistic-scoring-prefix-tokens", "--realistic-scoring-rounds"}) {
            assertThatThrownBy(() -> parse(flag + "=0").realisticOptions.validate()).as(flag)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(">= 1");
        }
    }

    @Test
    void rejectsAnUnknownSection() {
        assertThatThrownBy(() -> parse("--sections=selector")).isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageContaining("selector");
    }
}
