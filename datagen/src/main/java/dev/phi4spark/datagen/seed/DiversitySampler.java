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

    /** How many distinct combinations the taxonomy offers over the given axes. */
    public static long space(Taxonomy taxonomy, List<Axis> axes) {
        return (long) taxonomy.leaves().size() * axis(axes, Axis.AUDIENCE, taxonomy.audiences()).size()
                * axis(axes, Axis.STYLE, taxonomy.styles()).size()
                * axis(axes, Axis.DIFFICULTY, taxonomy.difficulties()).size();
    }

    /**
     * Draws up to {@code count} first-pass combinations whose seed id is not in {@code used}: a walk
     * over one shuffle of the space that skips used ones, so it never repeats a combination. Fewer
     * than {@code count} come back only when the space has fewer left. The same arguments always give
     * the same combinations in the same order.
     *
     * @param taxonomy the space
     * @param count how many at most
     * @param seed the random seed
     * @param axes the axes to vary
     * @param used seed ids ({@link TopicCombination#seedId}) of combinations not to draw again
     * @return the combinations, in draw order
     */
    public static List<TopicCombination> drawUnused(Taxonomy taxonomy, int count, long seed, List<Axis> axes,
            java.util.Set<String> used) {
        if (count < 0) {
            throw new IllegalArgumentException("Cannot draw topic combinations: count must be >= 0 (" + count + ")");
        }
        List<Taxonomy.Leaf> leaves = taxonomy.leaves();
        List<String> audiences = axis(axes, Axis.AUDIENCE, taxonomy.audiences());
        List<String> styles = axis(axes, Axis.STYLE, taxonomy.styles());
        List<String> difficulties = axis(axes, Axis.DIFFICULTY, taxonomy.difficulties());
        long size = space(taxonomy, axes);
        SplittableRandom random = new SplittableRandom(seed);
        Map<Long, Long> swapped = new HashMap<>();
        List<TopicCombination> out = new ArrayList<>(count);
        for (long i = 0; i < size && out.size() < count; i++) {
            TopicCombination c = decode(nextIndex(random, swapped, size, i), leaves, audiences, styles, difficulties, 0);
            if (!used.contains(c.seedId())) {
                out.add(c);
            }
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
            out[i] = nextIndex(random, swapped, size, i);
        }
        return out;
    }

    /** Step {@code i} of the sparse partial Fisher-Yates shuffle. */
    private static long nextIndex(SplittableRandom random, Map<Long, Long> swapped, long size, long i) {
        long j = i + random.nextLong(size - i);
        long atJ = swapped.getOrDefault(j, j);
        long atI = swapped.getOrDefault(i, i);
        swapped.put(j, atI);
        return atJ;
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
