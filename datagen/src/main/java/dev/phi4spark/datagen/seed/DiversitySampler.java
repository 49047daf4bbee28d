package dev.phi4spark.datagen.seed;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Draws topic combinations from a taxonomy: the product of its leaves and the axes a recipe uses, a
 * space of tens of thousands of combinations for the bundled taxonomy.
 *
 * <p>Draws are uniform and without replacement until the space is used up; a request for more starts
 * another pass over a new shuffle (with the next {@code replica} number). The generator is a
 * {@link SplittableRandom} seeded with the caller's seed, and the space is enumerated in file order, so
 * the same taxonomy, axes, count and seed always give the same combinations in the same order.
 */
public final class DiversitySampler {

    /** The axes a recipe varies. An unused axis is left null in its combinations. */
    public enum Axis { AUDIENCE, STYLE, DIFFICULTY }

    private DiversitySampler() {
    }

    /**
     * Draws {@code count} combinations.
     *
     * @param taxonomy the space
     * @param count how many
     * @param seed the random seed
     * @param axes the axes to vary
     * @return the combinations, in draw order
     */
    public static List<TopicCombination> draw(Taxonomy taxonomy, int count, long seed, List<Axis> axes) {
        if (count < 0) {
            throw new IllegalArgumentException("Cannot draw topic combinations: count must be >= 0 (" + count + ")");
        }
        List<Taxonomy.Leaf> leaves = taxonomy.leaves();
        List<String> audiences = axis(axes, Axis.AUDIENCE, taxonomy.audiences());
        List<String> styles = axis(axes, Axis.STYLE, taxonomy.styles());
        List<String> difficulties = axis(axes, Axis.DIFFICULTY, taxonomy.difficulties());
        long size = (long) leaves.size() * audiences.size() * styles.size() * difficulties.size();
        SplittableRandom random = new SplittableRandom(seed);
        List<TopicCombination> out = new ArrayList<>(count);
        int replica = 0;
        while (out.size() < count) {
            int want = (int) Math.min(size, count - out.size());
            for (long index : distinctIndices(random, size, want)) {
                out.add(decode(index, leaves, audiences, styles, difficulties, replica));
            }
            replica++;
        }
        return out;
    }

    private static List<String> axis(List<Axis> axes, Axis axis, List<String> values) {
        return axes.contains(axis) ? values : Arrays.asList((String) null);
    }

    /**
     * A partial Fisher-Yates shuffle of {@code [0, size)} kept in a sparse map: {@code want} distinct
     * indices in O(want) memory, whatever the size of the space.
     */
    static long[] distinctIndices(SplittableRandom random, long size, int want) {
        Map<Long, Long> swapped = new HashMap<>();
        long[] out = new long[want];
        for (int i = 0; i < want; i++) {
            long j = i + random.nextLong(size - i);
            long atJ = swapped.getOrDefault(j, j);
            long atI = swapped.getOrDefault((long) i, (long) i);
            swapped.put(j, atI);
            out[i] = atJ;
        }
        return out;
    }

    private static TopicCombination decode(long index, List<Taxonomy.Leaf> leaves, List<String> audiences,
            List<String> styles, List<String> difficulties, int replica) {
        int d = (int) (index % difficulties.size());
        index /= difficulties.size();
        int s = (int) (index % styles.size());
        index /= styles.size();
        int a = (int) (index % audiences.size());
        index /= audiences.size();
        Taxonomy.Leaf leaf = leaves.get((int) index);
        return new TopicCombination(leaf.subject(), leaf.topic(), leaf.subtopic(), audiences.get(a), styles.get(s),
                difficulties.get(d), replica);
    }
}
