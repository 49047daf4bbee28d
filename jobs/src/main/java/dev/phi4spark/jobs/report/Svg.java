package dev.phi4spark.jobs.report;

import java.util.List;
import java.util.Locale;

/**
 * Small inline SVG bar charts for the run report: no scripts and no fonts from the network, so the HTML
 * file opens the same offline, in a mail attachment or in a CI artifact viewer.
 */
public final class Svg {

    /** Chart width in px. */
    static final int WIDTH = 540;
    /** Chart height in px. */
    static final int HEIGHT = 260;
    private static final int LEFT = 64;
    private static final int RIGHT = 12;
    private static final int TOP = 20;
    private static final int BOTTOM = 64;

    private Svg() {}

    /**
     * One bar.
     *
     * @param label the x-axis label
     * @param value the bar's height in data units (negative values draw as zero)
     * @param note text above the bar, or null
     */
    public record Bar(String label, double value, String note) {}

    /** A vertical bar chart titled {@code title}, its y axis named {@code yLabel}. */
    public static String barChart(String title, String yLabel, List<Bar> bars, String colour) {
        if (bars.isEmpty()) {
            throw new IllegalArgumentException("Cannot draw a bar chart: no bars (" + title + ")");
        }
        double max = niceMax(bars.stream().mapToDouble(Bar::value).max().orElse(0));
        int plotW = WIDTH - LEFT - RIGHT;
        int plotH = HEIGHT - TOP - BOTTOM;
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\""
                + " height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"%s\">%n", WIDTH, HEIGHT, WIDTH, HEIGHT,
                escape(title)));
        axes(b, max, yLabel, plotW, plotH);
        double slot = (double) plotW / bars.size();
        double barW = Math.max(1, slot * 0.8);
        boolean slanted = bars.size() > 8 || bars.stream().anyMatch(x -> x.label().length() * 7 > slot);
        int labelEvery = Math.max(1, (int) Math.ceil(bars.size() / 20.0));
        for (int i = 0; i < bars.size(); i++) {
            Bar bar = bars.get(i);
            double h = max <= 0 ? 0 : Math.max(0, bar.value()) / max * plotH;
            double x = LEFT + i * slot + (slot - barW) / 2;
            double y = TOP + plotH - h;
            b.append(String.format(Locale.ROOT, "  <rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\""
                    + " height=\"%.1f\" fill=\"%s\"><title>%s: %s</title></rect>%n", x, y, barW, h, colour,
                    escape(bar.label()), number(bar.value())));
            if (bar.note() != null) {
                b.append(String.format(Locale.ROOT, "  <text class=\"note\" x=\"%.1f\" y=\"%.1f\""
                        + " text-anchor=\"middle\">%s</text>%n", x + barW / 2, y - 4, escape(bar.note())));
            }
            if (i % labelEvery == 0) {
                xLabel(b, x + barW / 2, bar.label(), slanted);
            }
        }
        return b.append("</svg>\n").toString();
    }

    private static void axes(StringBuilder b, double max, String yLabel, int plotW, int plotH) {
        int ticks = 4;
        for (int t = 0; t <= ticks; t++) {
            double v = max * t / ticks;
            double y = TOP + plotH - (double) plotH * t / ticks;
            b.append(String.format(Locale.ROOT, "  <line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>%n",
                    LEFT, y, LEFT + plotW, y));
            b.append(String.format(Locale.ROOT, "  <text class=\"tick\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n",
                    LEFT - 6, y + 4, number(v)));
        }
        b.append(String.format(Locale.ROOT, "  <text class=\"axis\" transform=\"translate(14 %d) rotate(-90)\""
                + " text-anchor=\"middle\">%s</text>%n", TOP + plotH / 2, escape(yLabel)));
        b.append(String.format(Locale.ROOT, "  <line class=\"baseline\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>%n",
                LEFT, TOP + plotH, LEFT + plotW, TOP + plotH));
    }

    private static void xLabel(StringBuilder b, double x, String label, boolean slanted) {
        double y = HEIGHT - BOTTOM + 16;
        int most = slanted ? 14 : 18; // a longer slanted label runs off the chart's left edge
        String shown = label.length() > most ? label.substring(0, most - 1) + "…" : label;
        if (slanted) {
            b.append(String.format(Locale.ROOT, "  <text class=\"tick\" transform=\"translate(%.1f %.1f) rotate(-35)\""
                    + " text-anchor=\"end\">%s</text>%n", x, y - 4, escape(shown)));
        } else {
            b.append(String.format(Locale.ROOT, "  <text class=\"tick\" x=\"%.1f\" y=\"%.1f\""
                    + " text-anchor=\"middle\">%s</text>%n", x, y, escape(shown)));
        }
    }

    /** The smallest 1, 2 or 5 times a power of ten at or above {@code v}: round axis ticks. */
    static double niceMax(double v) {
        if (v <= 0 || Double.isNaN(v) || Double.isInfinite(v)) {
            return 1;
        }
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 2, 2.5, 5, 10}) {
            if (m * p >= v * (1 - 1e-12)) {
                return m * p;
            }
        }
        return 10 * p;
    }

    /** A short human number: 12, 3.5, 0.042, 12.3k, 4.1M. */
    public static String number(double v) {
        double a = Math.abs(v);
        if (a >= 1e6) {
            return trim(String.format(Locale.ROOT, "%.1f", v / 1e6)) + "M";
        }
        if (a >= 1e4) {
            return trim(String.format(Locale.ROOT, "%.1f", v / 1e3)) + "k";
        }
        if (a >= 100 || v == Math.rint(v)) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        return trim(String.format(Locale.ROOT, a >= 1 ? "%.2f" : "%.3g", v));
    }

    private static String trim(String s) {
        return s.contains(".") && !s.contains("e") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
    }

    /** Text made safe for HTML and SVG content and attributes. */
    public static String escape(String s) {
        if (s == null) {
            return "";
        }
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;")
                .replace("'", "&#39;");
    }
}
