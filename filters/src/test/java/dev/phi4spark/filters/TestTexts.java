package dev.phi4spark.filters;

import java.util.ArrayList;
import java.util.List;

/** Hand-written and generated texts shared by the filter tests. */
public final class TestTexts {
    private TestTexts() {}

    /** A clean English paragraph of about 75 words, one sentence per line. */
    public static final String GOOD_LINES = String.join("\n",
            "The history of the city is long and varied, and it is told in many books.",
            "Many people have lived there with their families for hundreds of years.",
            "They have built houses, schools and markets that still stand today.",
            "Visitors come to see the old walls and to walk along the quiet river.",
            "Local guides explain how the town grew from a small village into a centre of trade.",
            "In the evening the squares fill with music, food and friendly conversation.");

    /** Distinct made-up words: word(0) = "bacado", word(1) = "becado", ... */
    public static String word(int i) {
        String consonants = "bcdfghjklmnprstvz";
        String vowels = "aeiou";
        StringBuilder sb = new StringBuilder();
        int x = i;
        do {
            sb.append(consonants.charAt(x % consonants.length()));
            x /= consonants.length();
            sb.append(vowels.charAt(x % vowels.length()));
            x /= vowels.length();
        } while (x > 0);
        return sb.append("do").toString();
    }

    /** {@code n} distinct words starting at {@code from}, joined by spaces. */
    public static String words(int from, int n) {
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(word(from + i));
        }
        return String.join(" ", out);
    }

    /** {@code line} repeated {@code times}, joined by {@code separator}. */
    public static String repeat(String line, int times, String separator) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < times; i++) {
            out.add(line);
        }
        return String.join(separator, out);
    }
}
