package dev.phi4spark.datagen.recipe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class CodeSimilarityTest {

    private static final String ADD = "def add(a, b):\n    return a + b\n";

    @Test
    void layoutDoesNotCountButTokensDo() {
        assertThat(CodeSimilarity.jaccard(ADD, "def add(a,b):\n  return a+b", 3)).isEqualTo(1.0);
        assertThat(CodeSimilarity.jaccard(ADD, "print('hello world')", 3)).isZero();
        double renamed = CodeSimilarity.jaccard(ADD, "def add(x, y):\n    return x + y\n", 3);
        assertThat(renamed).isGreaterThan(0).isLessThan(0.5);
    }

    @Test
    void jaccardOfShingleSets() {
        // tokens a b c d vs a b c e: 3-shingles {abc, bcd} and {abc, bce} share 1 of 3
        assertThat(CodeSimilarity.jaccard("a b c d", "a b c e", 3)).isCloseTo(1.0 / 3, within(1e-12));
        // shorter than a shingle: the whole token list is the one shingle
        assertThat(CodeSimilarity.jaccard("x = 1", "x = 1", 5)).isEqualTo(1.0);
        assertThat(CodeSimilarity.jaccard("", "  ", 3)).isEqualTo(1.0);
        assertThat(CodeSimilarity.jaccard("", "x", 3)).isZero();
    }

    @Test
    void takesTheFirstFencedBlock() {
        assertThat(CodeSimilarity.extractCode("Here you go:\n```python\n" + ADD + "```\nThen ```js\nx\n```"))
                .isEqualTo(ADD.strip());
        assertThat(CodeSimilarity.extractCode("  plain code  ")).isEqualTo("plain code");
        assertThat(CodeSimilarity.extractCode(null)).isNull();
    }

    @Test
    void instructionReversalKeepsAtItsThreshold() {
        InstructionReversal recipe = new InstructionReversal(0.5, 3, "python", null);
        assertThat(recipe.keeps(0.5)).isTrue();
        assertThat(recipe.keeps(0.49)).isFalse();
    }
}
