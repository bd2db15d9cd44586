package org.alignstream.inference.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.alignstream.inference.lm.TestModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class HfTokenizerTest {

    private static HfTokenizer lm;
    private static HfTokenizer bert;

    @BeforeAll
    static void load() throws Exception {
        lm = HfTokenizer.fromClasspath(TestModel.DIR + "/tokenizer.json");
        bert = HfTokenizer.fromClasspath("tokenizers/wordlevel-cls-sep.json");
    }

    @AfterAll
    static void close() {
        lm.close();
        bert.close();
    }

    @Test
    void encodesTheReferencePromptsExactlyAsTheTrainingScript() {
        for (TestModel.Reference ref : TestModel.references()) {
            assertThat(lm.encode(ref.prompt())).as(ref.prompt()).containsExactly(ref.inputIds());
        }
        List<String> prompts = TestModel.references().stream().map(TestModel.Reference::prompt).toList();
        int[][] batch = lm.encodeAll(prompts);
        for (int i = 0; i < prompts.size(); i++) {
            assertThat(batch[i]).containsExactly(TestModel.references().get(i).inputIds());
        }
    }

    @Test
    void decodeInvertsEncodeForEnglishPunctuationAndNonAscii() {
        List<String> texts = List.of(
                "It is a truth universally acknowledged, that a single man in possession of a good fortune...",
                "\"My dear Mr. Bennet,\" said his lady to him one day; \"have you heard?\" -- (no!) [yes] {x} 3.14 & 100%",
                "  leading and trailing spaces  ", "tabs\tand\nnew\nlines\r\n", "café naïve façade Zoë — “quotes” ‘single’ …",
                "Привет, мир! 日本語のテキスト 🙂👍🏽", "");
        for (String text : texts) {
            assertThat(lm.decode(lm.encode(text))).isEqualTo(text);
        }
        assertThat(lm.decodeAll(texts.stream().map(lm::encode).toList(), false)).isEqualTo(texts);
    }

    @Test
    void specialTokenLookupAndSkipping() {
        int eos = TestModel.config().get("eos_token_id").getAsInt();
        assertThat(lm.tokenId("<|endoftext|>")).isEqualTo(eos);
        assertThat(lm.tokenId("no such token")).isNull();
        assertThat(lm.vocabSize()).isEqualTo(TestModel.config().get("vocab_size").getAsInt());
        int[] ids = lm.encode("Yes.<|endoftext|>");
        assertThat(ids[ids.length - 1]).isEqualTo(eos);
        assertThat(lm.decode(ids, true)).isEqualTo("Yes.");
        assertThat(lm.decode(ids, false)).isEqualTo("Yes.<|endoftext|>");
        assertThat(bert.tokenId("c")).isEqualTo(6);
        assertThat(bert.padTokenId()).isEqualTo(0L);
    }

    @Test
    void loadsFromFileAndStreamIdentically() throws Exception {
        byte[] json = TestModel.read("tokenizer.json").getBytes(StandardCharsets.UTF_8);
        String text = "Emma Woodhouse, handsome, clever, and rich";
        try (HfTokenizer fromFile = HfTokenizer.fromFile(TestModel.directory());
             HfTokenizer fromStream = HfTokenizer.fromStream(new ByteArrayInputStream(json))) {
            assertThat(fromFile.encode(text)).containsExactly(lm.encode(text));
            assertThat(fromStream.encode(text)).containsExactly(lm.encode(text));
        }
        assertThatThrownBy(() -> HfTokenizer.fromClasspath("no/such/tokenizer.json"))
                .hasMessageContaining("not found on the classpath: no/such/tokenizer.json");
        assertThatThrownBy(() -> HfTokenizer.fromStream(new ByteArrayInputStream("[1,2]".getBytes(StandardCharsets.UTF_8))))
                .hasMessageContaining("not a tokenizer.json");
    }

    @Test
    void encodeBatchPadsOnTheRequestedSideWithMasks() {
        List<String> texts = List.of("a b c", "d", "e f");
        Encoding right = bert.encodeBatch(texts, 16);
        assertThat(right.inputIds()).isDeepEqualTo(new long[][] {{1, 4, 5, 6, 2}, {1, 7, 2, 0, 0}, {1, 8, 9, 2, 0}});
        assertThat(right.attentionMask()).isDeepEqualTo(new long[][] {{1, 1, 1, 1, 1}, {1, 1, 1, 0, 0}, {1, 1, 1, 1, 0}});
        assertThat(right.tokenTypeIds()).isDeepEqualTo(new long[3][5]);
        Encoding left = bert.encodeBatch(texts, 16, EncodeOptions.ENCODER.withPaddingSide(EncodeOptions.Side.LEFT)
                .withPadToMaxLength(true).withPadTokenId(3L));
        assertThat(left.sequenceLength()).isEqualTo(16);
        assertThat(Arrays.copyOfRange(left.inputIds()[1], 12, 16)).containsExactly(3, 1, 7, 2);
        assertThat(Arrays.stream(left.attentionMask()[1]).sum()).isEqualTo(3);
        assertThat(left.attentionMask()[1][13]).isEqualTo(1);
        assertThat(left.attentionMask()[1][12]).isEqualTo(0);
        Encoding plain = lm.encodeBatch(List.of("She was", "It is a truth"), 32, EncodeOptions.DECODER_PROMPTS);
        int[] shePrompt = lm.encode("She was");
        long[] row = plain.inputIds()[0];
        for (int i = 0; i < shePrompt.length; i++) {
            assertThat(row[row.length - shePrompt.length + i]).isEqualTo(shePrompt[i]);
        }
        assertThat(Encoding.flatten(new long[][] {{1, 2}, {3, 4}})).containsExactly(1, 2, 3, 4);
    }

    @Test
    void truncationDropsContentButKeepsSpecialTokens() {
        List<String> texts = List.of("a b c d e f", "a");
        Encoding right = bert.encodeBatch(texts, 4);
        assertThat(right.inputIds()).isDeepEqualTo(new long[][] {{1, 4, 5, 2}, {1, 4, 2, 0}});
        Encoding left = bert.encodeBatch(texts, 4, EncodeOptions.ENCODER.withTruncation(EncodeOptions.Truncation.LEFT));
        assertThat(left.inputIds()[0]).containsExactly(1, 8, 9, 2);
        Encoding noSpecial = bert.encodeBatch(texts, 3, EncodeOptions.ENCODER.withAddSpecialTokens(false));
        assertThat(noSpecial.inputIds()[0]).containsExactly(4, 5, 6);
        assertThatThrownBy(() -> bert.encodeBatch(texts, 4, EncodeOptions.ENCODER.withTruncation(EncodeOptions.Truncation.ERROR)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("text 0 encodes to 8 tokens, more than maxLength 4 (truncation is ERROR)");
        assertThatThrownBy(() -> bert.encodeBatch(texts, 2)).hasMessageContaining("leaves no room for text 0");
    }

    @Test
    void badInputIsRejectedWithPreciseMessages() {
        assertThatThrownBy(() -> lm.encodeBatch(List.of(), 8)).hasMessage("texts must not be empty");
        assertThatThrownBy(() -> lm.encodeBatch(Arrays.asList("x", null), 8)).hasMessage("texts[1] is null");
        assertThatThrownBy(() -> lm.encodeBatch(List.of("x"), 0)).hasMessage("maxLength must be >= 1, got 0");
        int vocab = lm.vocabSize();
        assertThatThrownBy(() -> lm.decode(new int[] {5, vocab}))
                .hasMessage("token id " + vocab + " at position 1 is outside the vocabulary [0, " + vocab + ")");
    }
}
