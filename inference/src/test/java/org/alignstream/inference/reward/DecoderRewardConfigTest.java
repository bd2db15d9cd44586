package org.alignstream.inference.reward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DecoderRewardConfigTest {

    @Test
    void decoderFamiliesSequenceClassifiersAreDecoderRewardModels() {
        assertThat(DecoderRewardConfig.parse("{\"architectures\": [\"GPT2ForSequenceClassification\"]}")
                .isDecoderClassifier()).isTrue();
        assertThat(DecoderRewardConfig.parse("{\"architectures\": [\"Qwen2ForSequenceClassification\"]}")
                .isDecoderClassifier()).isTrue();
        assertThat(DecoderRewardConfig.parse("{\"architectures\": [\"BertForSequenceClassification\"]}")
                .isDecoderClassifier()).isFalse();
        assertThat(DecoderRewardConfig.parse("{\"architectures\": [\"LlamaForCausalLM\"]}").isDecoderClassifier()).isFalse();
        assertThat(DecoderRewardConfig.parse("{}").isDecoderClassifier()).isFalse();
    }

    @Test
    void readsLabelsTokenIdsAndContext() {
        DecoderRewardConfig c = DecoderRewardConfig.parse("{\"architectures\": [\"LlamaForSequenceClassification\"],"
                + " \"id2label\": {\"0\": \"LABEL_0\"}, \"pad_token_id\": 0, \"bos_token_id\": 1, \"eos_token_id\": [2, 7],"
                + " \"max_position_embeddings\": 4096}");
        assertThat(c.labels()).isEqualTo(1);
        assertThat(c.padTokenId()).hasValue(0);
        assertThat(c.bosTokenId()).hasValue(1);
        assertThat(c.eosTokenId()).hasValue(2);
        assertThat(c.maxPositions()).hasValue(4096);
        assertThat(DecoderRewardConfig.parse("{\"num_labels\": 3, \"n_positions\": 1024}").labels()).isEqualTo(3);
        assertThat(DecoderRewardConfig.parse("{\"n_positions\": 1024}").maxPositions()).hasValue(1024);
        assertThatThrownBy(() -> DecoderRewardConfig.parse("[1]")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DecoderRewardConfig.parse("{\"pad_token_id\": \"x\"}"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
