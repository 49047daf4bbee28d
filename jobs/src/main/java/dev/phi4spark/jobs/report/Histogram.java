package dev.phi4spark.jobs.report;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.DoubleUnaryOperator;

/** Equal-width bins of a sample, as bars for {@link Svg#barChart}. */
public final class Histogram {

    private Histogram() {}

    /**
     * Counts {@code values} in {@code bins} equal bins over [{@code min}, {@code max}]; values outside
     * the range go to the end bins, NaN and infinities are skipped.
     */
    public static List<Svg.Bar> fixed(double[] values, double min, double max, int bins) {
        return bin(values, min, max, bins, DoubleUnaryOperator.identity());
    }

    /** Bins {@code values}; the bars are labelled with their edges mapped by {@code edge}. */
    private static List<Svg.Bar> bin(double[] values, double min, double max, int bins, DoubleUnaryOperator edge) {
        if (bins <= 0 || !(max > min)) {
            throw new IllegalArgumentException("Cannot bin values: need bins > 0 and max > min (" + bins + ", "
                    + min + ", " + max + ")");
        }
        long[] counts = new long[bins];
        double width = (max - min) / bins;
        for (double v : values) {
            if (Double.isFinite(v)) {
                counts[(int) Math.min(bins - 1, Math.max(0, Math.floor((v - min) / width)))]++;
            }
        }
        List<Svg.Bar> bars = new ArrayList<>(bins);
        for (int i = 0; i < bins; i++) {
            bars.add(new Svg.Bar(Svg.number(edge.applyAsDouble(min + i * width)) + "–"
                    + Svg.number(edge.applyAsDouble(min + (i + 1) * width)), counts[i], null));
        }
        return bars;
    }

    /**
     * Bins over the sample's own range. A range over more than two decades (a random model's perplexity
     * next to a real one's) is binned on log10, else one outlier squeezes everything into the first bar.
     */
    public static List<Svg.Bar> auto(double[] values, int bins) {
        double[] finite = Arrays.stream(values).filter(Double::isFinite).toArray();
        if (finite.length == 0) {
            return List.of();
        }
        double min = Arrays.stream(finite).min().getAsDouble();
        double max = Arrays.stream(finite).max().getAsDouble();
        if (min > 0 && max / min > 100) {
            return bin(Arrays.stream(finite).map(Math::log10).toArray(), Math.log10(min), Math.log10(max), bins,
                    e -> Math.pow(10, e));
        }
        if (max == min) {
            return List.of(new Svg.Bar(Svg.number(min), finite.length, null));
        }
        return fixed(finite, min, max, Math.min(bins, Math.max(1, finite.length)));
    }

    /** A formatted count, for notes above bars. */
    static String count(double v) {
        return String.format(Locale.ROOT, "%,d", (long) v);
    }
}
