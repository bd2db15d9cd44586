package org.alignstream.inference.lm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class LmConfigTest {

    @Test
    void readsGpt2StyleKeys() {
        LmConfig c = LmConfig.parse("{\"n_positions\": 1024, \"vocab_size\": 50257, \"eos_token_id\": 50256,"
                + " \"bos_token_id\": 50256}");
        assertThat(c.maxPositions()).isEqualTo(OptionalInt.of(1024));
        assertThat(c.vocabSize()).isEqualTo(OptionalInt.of(50257));
        assertThat(c.eosTokenId()).isEqualTo(OptionalInt.of(50256));
        assertThat(c.bosTokenId()).isEqualTo(OptionalInt.of(50256));
    }

    @Test
    void readsLlamaStyleKeysWithItsOwnBeginningOfText() {
        LmConfig c = LmConfig.parse("{\"max_position_embeddings\": 4096, \"bos_token_id\": 1, \"eos_token_id\": 2}");
        assertThat(c.maxPositions()).isEqualTo(OptionalInt.of(4096));
        assertThat(c.bosTokenId()).isEqualTo(OptionalInt.of(1));
        assertThat(c.eosTokenId()).isEqualTo(OptionalInt.of(2));
        assertThat(c.vocabSize()).isEmpty();
    }

    @Test
    void missingKeysAreEmptyAndGarbageIsAClearError() {
        assertThat(LmConfig.parse("{}")).isEqualTo(LmConfig.EMPTY);
        assertThatThrownBy(() -> LmConfig.parse("not json")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("config.json");
    }
}
