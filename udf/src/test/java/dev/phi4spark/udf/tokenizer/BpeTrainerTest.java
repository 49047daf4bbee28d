package dev.phi4spark.udf.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class BpeTrainerTest {

    @Test
    void byteAlphabetMatchesGpt2() {
        assertThat(ByteLevel.alphabet()).hasSize(256).doesNotHaveDuplicates();
        // GPT-2's vocab.json: "!" is id 0, and the first remapped byte (0x00) follows the 188
        // printables.
        assertThat(ByteLevel.alphabet().get(0)).isEqualTo("!");
        assertThat(ByteLevel.alphabet().get(188)).isEqualTo("\u0100");
        assertThat(ByteLevel.symbols(" \n\t")).containsExactly("\u0120", "\u010A", "\u0109");
        assertThat(ByteLevel.symbols("é")).containsExactly("\u00C3", "\u00A9");
    }

    @Test
    void learnsFrequentPairsFirstAndDeterministically() {
        BpeTrainer.BpeModel model = BpeTrainer.train("low low low lower lowest", 260);

        assertThat(model.vocab()).hasSize(260).startsWith(ByteLevel.alphabet().toArray(String[]::new));
        assertThat(model.merges()).first().isEqualTo("l o");
        assertThat(BpeTrainer.train("low low low lower lowest", 260)).isEqualTo(model);
    }

    @Test
    void stopsWhenNothingIsLeftToMerge() {
        BpeTrainer.BpeModel model = BpeTrainer.train("ab", 1000);

        assertThat(model.merges()).containsExactly("a b");
        assertThat(model.vocab()).hasSize(257).endsWith("ab");
    }

    @Test
    void rejectsVocabularySmallerThanTheByteAlphabet() {
        assertThatThrownBy(() -> BpeTrainer.train("x", 100))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Cannot train BPE: the vocabulary must hold the 256 byte symbols (100)");
    }
}
