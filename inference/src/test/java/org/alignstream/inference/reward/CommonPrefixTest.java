package org.alignstream.inference.reward;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CommonPrefixTest {

    @Test
    void lengthIsTheLongestPrefixAllSequencesShare() {
        assertThat(CommonPrefix.length(new long[][] {{1, 2, 3, 4}, {1, 2, 3, 9}, {1, 2, 7}})).isEqualTo(2);
        assertThat(CommonPrefix.length(new long[][] {{1, 2, 3}, {1, 2, 3}})).isEqualTo(3);
        assertThat(CommonPrefix.length(new long[][] {{5, 2}, {1, 2}})).isZero();
        assertThat(CommonPrefix.length(new long[][] {{1, 2}})).isEqualTo(2);
        assertThat(CommonPrefix.length(new long[0][])).isZero();
    }

    @Test
    void reusableLeavesEverySequenceAtLeastOneTokenOfItsOwn() {
        // a re-tokenised extension that merged the old last token: only the untouched part is reusable
        assertThat(CommonPrefix.reusable(new long[][] {{1, 2, 3, 4}, {1, 2, 3, 5}, {1, 2, 8}})).isEqualTo(2);
        // one text equals the shared part (an EOS candidate adds no text): it keeps its last token to be read at
        assertThat(CommonPrefix.reusable(new long[][] {{1, 2, 3}, {1, 2, 3, 4}})).isEqualTo(2);
        assertThat(CommonPrefix.reusable(new long[][] {{1, 2, 3}, {1, 2, 3}})).isEqualTo(2);
        assertThat(CommonPrefix.reusable(new long[][] {{}, {1}})).isZero();
        assertThat(CommonPrefix.reusable(new long[0][])).isZero();
    }
}
