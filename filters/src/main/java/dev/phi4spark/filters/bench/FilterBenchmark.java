package dev.phi4spark.filters.bench;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.udf;

import dev.phi4spark.filters.CleanedText;
import dev.phi4spark.filters.DocumentFilter;
import dev.phi4spark.filters.TextCleaner;
import dev.phi4spark.filters.dedup.MinHashDedup;
import dev.phi4spark.filters.heuristic.C4LineCleaner;
import dev.phi4spark.filters.heuristic.C4QualityFilter;
import dev.phi4spark.filters.heuristic.FineWebQualityFilter;
import dev.phi4spark.filters.heuristic.GopherQualityFilter;
import dev.phi4spark.filters.heuristic.GopherRepetitionFilter;
import dev.phi4spark.filters.heuristic.LanguageFilter;
import dev.phi4spark.filters.heuristic.TokenLengthFilter;
import dev.phi4spark.filters.pii.PiiRedactor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.types.DataTypes;

/**
 * Throughput of the heuristic filters (MB of text per second on one core, over a generated corpus
 * streamed through memory), of the default heuristic stack in sequence (gopher_quality,
 * gopher_repetition, token_length, pii), and of MinHash near-dedup end to end on documents of 150
 * to 400 words in {@code local[2]} (from an in-memory corpus to the marked rows, no Delta I/O).
 * Not a test: run it by hand or with {@code phi4spark bench filters}, see {@code
 * docs/benchmarks.md}.
 *
 * <p>Arguments: {@code [corpusMegabytes=200] [dedupDocs=100000] [languageMegabytes=20]}.
 */
public final class FilterBenchmark {
    private static final String[] STOP = {"the", "of", "and", "to", "with", "that", "be", "have",
            "in", "is", "a", "for", "on", "it"};

    private FilterBenchmark() {}

    public static void main(String[] args) {
        run(args.length > 0 ? Integer.parseInt(args[0]) : 200,
                args.length > 1 ? Integer.parseInt(args[1]) : 100_000,
                args.length > 2 ? Integer.parseInt(args[2]) : 20);
    }

    /** Runs the parts whose size is positive, printing to standard output. */
    public static void run(int corpusMb, int dedupDocs, int languageMb) {
        if (corpusMb > 0) {
            heuristics(corpusMb, languageMb);
        }
        if (dedupDocs > 0) {
            nearDedup(dedupDocs);
        }
    }

    /** A web-page-like document of about {@code words} words, in lines of 8 to 30 words. */
    public static String document(SplittableRandom random, int words) {
        StringBuilder sb = new StringBuilder(words * 7);
        int lineWords = 0;
        int lineLength = 8 + random.nextInt(23);
        for (int i = 0; i < words; i++) {
            int kind = random.nextInt(60);
            String w = kind < 20 ? STOP[random.nextInt(STOP.length)]
                    : kind == 20 ? Integer.toString(random.nextInt(3000))
                    : syllables(random.nextInt(20_000));
            sb.append(lineWords == 0 ? capitalize(w) : w);
            if (++lineWords == lineLength) {
                sb.append(random.nextInt(10) == 0 ? "\n" : ".\n");
                lineWords = 0;
                lineLength = 8 + random.nextInt(23);
            } else {
                sb.append(random.nextInt(12) == 0 ? ", " : " ");
            }
        }
        return sb.append('.').toString();
    }

    private static String syllables(int i) {
        String c = "bcdfghklmnprstvw";
        String v = "aeiou";
        StringBuilder sb = new StringBuilder();
        int x = i;
        do {
            sb.append(c.charAt(x % 16)).append(v.charAt((x / 16) % 5));
            x /= 80;
        } while (x > 0);
        return sb.toString();
    }

    private static String capitalize(String w) {
        return Character.toUpperCase(w.charAt(0)) + w.substring(1);
    }

    private static void heuristics(int corpusMb, int languageMb) {
        Map<String, DocumentFilter> filters = new LinkedHashMap<>();
        filters.put("gopher_quality", new GopherQualityFilter());
        filters.put("gopher_repetition", new GopherRepetitionFilter());
        filters.put("c4_quality", new C4QualityFilter());
        filters.put("fineweb_quality", new FineWebQualityFilter());
        filters.put("token_length", new TokenLengthFilter());
        Map<String, TextCleaner> cleaners = new LinkedHashMap<>();
        cleaners.put("c4_lines", new C4LineCleaner());
        cleaners.put("pii", new PiiRedactor());
        LanguageFilter language = new LanguageFilter();
        language.apply("warm up the detector models with a few words of English text here.");

        // The corpus is generated first and a whole untimed pass runs before the timed one, so the figures
        // are the steady state of a long-running executor, not the JIT compiler's first minutes.
        List<String> corpus = new ArrayList<>();
        SplittableRandom random = new SplittableRandom(1);
        long bytes = 0;
        while (bytes < corpusMb * 1_000_000L) {
            String doc = document(random, 300 + random.nextInt(1200));
            corpus.add(doc);
            bytes += doc.length();
        }
        Map<String, Long> nanos = new LinkedHashMap<>();
        long kept = 0;
        for (int pass = 0; pass < 2; pass++) {
            for (String doc : corpus) {
                kept += timePass(doc, filters, cleaners, pass == 0 ? new LinkedHashMap<>() : nanos);
            }
        }
        long languageBytes = 0;
        long languageNanos = 0;
        for (String doc : corpus) {
            if (languageBytes >= languageMb * 1_000_000L) {
                break;
            }
            long t = System.nanoTime();
            kept += language.apply(doc).kept() ? 1 : 0;
            languageNanos += System.nanoTime() - t;
            languageBytes += doc.length();
        }
        System.out.printf("Heuristic filters, one thread, %.1f MB of generated text (%d decisions)%n",
                bytes / 1e6, kept);
        long totalNanos = 0;
        for (Map.Entry<String, Long> e : nanos.entrySet()) {
            totalNanos += e.getValue();
            System.out.printf("  %-18s %8.1f MB/s%n", e.getKey(), bytes / 1e6 / (e.getValue() / 1e9));
        }
        System.out.printf("  %-18s %8.1f MB/s (all of the above in sequence)%n", "combined",
                bytes / 1e6 / (totalNanos / 1e9));
        long stackNanos = nanos.get("gopher_quality") + nanos.get("gopher_repetition")
                + nanos.get("token_length") + nanos.get("pii");
        System.out.printf("  %-18s %8.1f MB/s (gopher_quality, gopher_repetition, token_length, pii)%n",
                "default stack", bytes / 1e6 / (stackNanos / 1e9));
        System.out.printf("  %-18s %8.1f MB/s (on the first %.1f MB)%n", "language",
                languageBytes / 1e6 / (languageNanos / 1e9), languageBytes / 1e6);
    }

    /** Runs every filter and cleaner on {@code doc}, adding each one's time to {@code nanos}. */
    private static long timePass(String doc, Map<String, DocumentFilter> filters, Map<String, TextCleaner> cleaners,
            Map<String, Long> nanos) {
        long kept = 0;
        for (Map.Entry<String, DocumentFilter> f : filters.entrySet()) {
            long t = System.nanoTime();
            kept += f.getValue().apply(doc).kept() ? 1 : 0;
            nanos.merge(f.getKey(), System.nanoTime() - t, Long::sum);
        }
        for (Map.Entry<String, TextCleaner> c : cleaners.entrySet()) {
            long t = System.nanoTime();
            CleanedText cleaned = c.getValue().clean(doc);
            kept += cleaned.total() > 0 ? 1 : 0;
            nanos.merge(c.getKey(), System.nanoTime() - t, Long::sum);
        }
        return kept;
    }

    /**
     * {@code (id, text)} rows of documents of 150 to 400 words, every tenth a near copy (two words
     * changed) of the one before it: the near-dedup benchmarks' corpus.
     */
    public static Dataset<Row> nearDuplicateCorpus(SparkSession spark, long docs) {
        var text = udf((UDF1<Long, String>) id -> {
            long source = id % 10 == 9 ? id - 1 : id;
            // Seeds k * golden-gamma would give shifted copies of one SplittableRandom stream.
            SplittableRandom r = new SplittableRandom(dev.phi4spark.filters.Murmur3.fmix64(source + 1));
            String doc = document(r, 150 + r.nextInt(251));
            if (source != id) {
                String[] w = doc.split(" ");
                SplittableRandom edit = new SplittableRandom(id);
                w[edit.nextInt(w.length)] = "changed";
                w[edit.nextInt(w.length)] = "edited";
                doc = String.join(" ", w);
            }
            return doc;
        }, DataTypes.StringType);
        return spark.range(docs).repartition(8).select(col("id"), text.apply(col("id")).as("text"));
    }

    private static void nearDedup(int docs) {
        SparkSession spark = SparkSession.builder()
                .master("local[2]")
                .appName("filter-benchmark")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "16")
                .config("spark.driver.host", "127.0.0.1")
                .getOrCreate();
        try {
            Dataset<Row> corpus = nearDuplicateCorpus(spark, docs).localCheckpoint();
            long megabytes = corpus.selectExpr("sum(length(text))").first().getLong(0);
            long t = System.nanoTime();
            Dataset<Row> marked = MinHashDedup.forThreshold(MinHashDedup.DEFAULT_THRESHOLD,
                    MinHashDedup.DEFAULT_NUM_HASHES, MinHashDedup.DEFAULT_NGRAM_SIZE, MinHashDedup.DEFAULT_SEED)
                    .markDuplicates(corpus, "text", "id", "reason");
            long removed = marked.filter(col("reason").isNotNull()).count();
            double seconds = (System.nanoTime() - t) / 1e9;
            System.out.printf("Near dedup (threshold 0.7: MinHash 18x5), local[2]: %d documents of 150-400"
                    + " words, %.1f MB, %d marked as near duplicates (%d planted two-word edits), %.1f s,"
                    + " %.2f MB/s%n", docs, megabytes / 1e6, removed, docs / 10, seconds,
                    megabytes / 1e6 / seconds);
        } finally {
            spark.stop();
        }
    }
}
