package dev.phi4spark.udf.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link HostDraw} against the rule written out plainly (a full sort), and against the distribution it samples. */
class HostDrawTest {

    /** The rule with every token sorted: what HostDraw's histogram must only shortcut. */
    private static int byFullSort(float[] scores, int vocab, double temperature, int topK, double topP, double u) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            max = Math.max(max, scores[i]);
        }
        double[] w = new double[vocab];
        double total = 0;
        for (int i = 0; i < vocab; i++) {
            w[i] = Math.exp(((double) scores[i] - max) / temperature);
            total += w[i];
        }
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < vocab; i++) {
            order.add(i);
        }
        order.sort(Comparator.<Integer>comparingDouble(i -> -w[i]).thenComparingInt(i -> i));
        int rankLimit = topK == 0 ? vocab : Math.min(topK, vocab);
        double before = 0;
        int kept = 0;
        for (int token : order) {
            if (kept >= rankLimit || before >= topP * total) {
                break;
            }
            before += w[token];
            kept++;
        }
        double cdf = 0;
        for (int j = 0; j < kept; j++) {
            cdf += w[order.get(j)];
            if (cdf >= before * u) {
                return order.get(j);
            }
        }
        return order.get(kept - 1);
    }

    /** Both ways of weighing tokens: native (the default where the library loads) and Java's {@code Math.exp}. */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void drawsWhatAFullSortDraws(boolean nativeWeights) {
        assertThat(!nativeWeights || NativeDecoder.available()).as("%s", NativeDecoder.unavailableReason()).isTrue();
        Random random = new Random(5);
        HostDraw draw = new HostDraw(nativeWeights);
        int[] vocabs = {1, 7, 300, 32064};
        double[][] settings = {{1.0, 0, 1.0}, {0.7, 0, 0.95}, {1.3, 40, 0.9}, {0.5, 1, 1.0}, {2.0, 0, 0.05},
                {1.0, 5000, 0.999}, {0.1, 50000, 0.5}};
        for (int vocab : vocabs) {
            for (int trial = 0; trial < 6; trial++) {
                float[] scores = scores(random, vocab, trial);
                for (double[] s : settings) {
                    double u = trial == 0 ? 0 : trial == 4 ? Math.nextDown(1.0) : random.nextDouble();
                    int expected = byFullSort(scores, vocab, s[0], (int) s[1], s[2], u);
                    assertThat(draw.draw(scores, 0, vocab, s[0], (int) s[1], s[2], u))
                            .as("vocab %d, trial %d, T %s top_k %s top_p %s, u %s", vocab, trial, s[0], s[1], s[2], u)
                            .isEqualTo(expected);
                }
            }
        }
    }

    /** Gaussian logits; some trials with many exact ties, -inf entries, or a flat row. */
    private static float[] scores(Random random, int vocab, int trial) {
        float[] scores = new float[vocab];
        for (int i = 0; i < vocab; i++) {
            scores[i] = switch (trial % 3) {
                case 0 -> (float) random.nextGaussian() * 4;
                case 1 -> random.nextInt(6);                           // ties everywhere
                default -> i % 11 == 3 ? Float.NEGATIVE_INFINITY : (float) random.nextGaussian();
            };
        }
        if (trial == 5) {
            java.util.Arrays.fill(scores, 1.5f);                       // flat: one bucket holds every token
        }
        return scores;
    }

    /**
     * Logits 3, 2, 1, 0, -1, -2 at temperature 1 with top-p 0.9: the nucleus is the first three tokens
     * (mass ranked before the fourth 0.952 >= 0.9), drawn in proportion to e^3 : e^2 : e^1; the others never.
     */
    @Test
    void samplesTheNucleusInProportion() {
        float[] scores = {3, 2, 1, 0, -1, -2};
        HostDraw draw = new HostDraw();
        Random random = new Random(9);
        int n = 60_000;
        int[] counts = new int[scores.length];
        for (int i = 0; i < n; i++) {
            counts[draw.draw(scores, 0, scores.length, 1.0, 0, 0.9, random.nextDouble())]++;
        }
        double norm = Math.exp(3) + Math.exp(2) + Math.exp(1);
        for (int t = 0; t < 3; t++) {
            double p = Math.exp(3 - t) / norm;
            double sigma = Math.sqrt(n * p * (1 - p));
            assertThat((double) counts[t]).as("token %d", t).isCloseTo(n * p, org.assertj.core.data.Offset.offset(5 * sigma));
        }
        assertThat(counts[3] + counts[4] + counts[5]).isZero();
    }

    /** Rows the sampler marks non-finite still return a token index, never throw (negative NaN included). */
    @Test
    void nonFiniteRowsDrawAnIndexWithoutFailing() {
        float negativeNan = Float.intBitsToFloat(0xFFC00000);
        float[][] rows = {{1, Float.NaN, 2}, {1, negativeNan, 2}, {Float.POSITIVE_INFINITY, 1, 2},
                {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY}, {3e38f, -3e38f, 0}};
        HostDraw draw = new HostDraw();
        for (float[] row : rows) {
            for (double topP : new double[] {1.0, 0.5}) {
                assertThat(draw.draw(row, 0, row.length, 0.7, 0, topP, 0.3)).isBetween(0, row.length - 1);
            }
        }
    }

    @Test
    void aRowAtAnOffsetIsReadFromThere() {
        float[] batch = {9, 0, 0, 0, 0, 0, 9, 0};
        assertThat(new HostDraw().draw(batch, 4, 4, 1.0, 1, 1.0, 0.5)).isEqualTo(2);
    }
}
