package dev.phi4spark.filters.heuristic;

import dev.phi4spark.filters.DocumentFilter;
import dev.phi4spark.filters.FilterResult;
import dev.phi4spark.filters.Words;
import java.util.ArrayList;
import java.util.List;

/**
 * FineWeb's extra quality rules (Penedo et al. 2024; datatrove {@code FineWebQualityFilter}).
 *
 * <p>Defaults ({@link #FineWebQualityFilter()}): reject when at most 0.12 of the lines end in
 * {@code . ' " ! ?} ({@code fineweb_line_punct_ratio}); when at least 0.67 of the lines are at most
 * 30 characters long ({@code fineweb_short_line_ratio}); when repeated non-empty lines hold at least
 * 0.01 of the characters, line breaks excluded ({@code fineweb_char_dup_ratio}); when there are
 * more than 0.3 line breaks per word ({@code fineweb_list_ratio}). Lines are split on {@code \n}
 * only, as in the reference.
 */
public final class FineWebQualityFilter implements DocumentFilter {
    private static final long serialVersionUID = 1L;

    public static final double DEFAULT_LINE_PUNCT_THR = 0.12;
    public static final boolean DEFAULT_LINE_PUNCT_EXCLUDE_ZERO = false;
    public static final double DEFAULT_SHORT_LINE_THR = 0.67;
    public static final int DEFAULT_SHORT_LINE_LENGTH = 30;
    public static final double DEFAULT_CHAR_DUPLICATES_RATIO = 0.01;
    public static final double DEFAULT_NEW_LINE_RATIO = 0.3;

    private final double linePunctThr;
    private final boolean linePunctExcludeZero;
    private final double shortLineThr;
    private final int shortLineLength;
    private final double charDuplicatesRatio;
    private final double newLineRatio;

    /** The published defaults (see class Javadoc). */
    public FineWebQualityFilter() {
        this(DEFAULT_LINE_PUNCT_THR, DEFAULT_LINE_PUNCT_EXCLUDE_ZERO, DEFAULT_SHORT_LINE_THR,
                DEFAULT_SHORT_LINE_LENGTH, DEFAULT_CHAR_DUPLICATES_RATIO, DEFAULT_NEW_LINE_RATIO);
    }

    /**
     * @param linePunctExcludeZero when true a page with no punctuated line at all is not rejected by
     *     the punctuation rule (for languages without such punctuation)
     */
    public FineWebQualityFilter(double linePunctThr, boolean linePunctExcludeZero,
            double shortLineThr, int shortLineLength, double charDuplicatesRatio, double newLineRatio) {
        this.linePunctThr = linePunctThr;
        this.linePunctExcludeZero = linePunctExcludeZero;
        this.shortLineThr = shortLineThr;
        this.shortLineLength = shortLineLength;
        this.charDuplicatesRatio = charDuplicatesRatio;
        this.newLineRatio = newLineRatio;
    }

    @Override
    public String name() {
        return "fineweb_quality";
    }

    @Override
    public FilterResult apply(String text) {
        text = text == null ? "" : text;
        String[] lines = text.split("\n", -1);
        int punctuated = 0;
        int shortLines = 0;
        List<String> nonEmpty = new ArrayList<>(lines.length);
        for (String line : lines) {
            if (endsWithStopChar(line)) {
                punctuated++;
            }
            if (line.length() <= shortLineLength) {
                shortLines++;
            }
            if (!line.isBlank()) {
                nonEmpty.add(line);
            }
        }
        double punctRatio = (double) punctuated / lines.length;
        if (punctRatio <= linePunctThr && !(punctRatio == 0 && linePunctExcludeZero)) {
            return FilterResult.reject("fineweb_line_punct_ratio");
        }
        if ((double) shortLines / lines.length >= shortLineThr) {
            return FilterResult.reject("fineweb_short_line_ratio");
        }
        long dupChars = GopherRepetitionFilter.findDuplicates(nonEmpty.toArray(new String[0]))[1];
        int charsWithoutBreaks = text.length() - (lines.length - 1);
        if (charsWithoutBreaks > 0 && (double) dupChars / charsWithoutBreaks >= charDuplicatesRatio) {
            return FilterResult.reject("fineweb_char_dup_ratio");
        }
        int words = Words.tokenize(text).size();
        int newLines = lines.length - 1;
        if (words == 0 ? newLines > 0 : (double) newLines / words > newLineRatio) {
            return FilterResult.reject("fineweb_list_ratio");
        }
        return FilterResult.keep();
    }

    private static boolean endsWithStopChar(String line) {
        if (line.isEmpty()) {
            return false;
        }
        char c = line.charAt(line.length() - 1);
        return c == '.' || c == '\'' || c == '"' || c == '!' || c == '?';
    }
}
