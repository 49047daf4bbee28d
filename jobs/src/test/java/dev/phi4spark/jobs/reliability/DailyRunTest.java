package dev.phi4spark.jobs.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phi4spark.jobs.EarlierRunsDedup;
import dev.phi4spark.jobs.JobsSpark;
import dev.phi4spark.jobs.config.JobConfig;
import dev.phi4spark.jobs.delta.TableStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daily schedule on a local warehouse: each day's run key draws new topic combinations and ids, a
 * rerun that would only repeat is refused, and {@code filter} never curates a row twice nor lets a later
 * day's copy of a curated row in.
 */
class DailyRunTest {

    private static final int ROWS = 5;

    /** Keeps some of the tiny model's random texts (gopher_repetition would reject them all). */
    private static final String STEPS = "filter.steps=[{name: exact_dedup}, {name: near_dedup},"
            + " {name: token_length, min_tokens: 3}]";

    @TempDir
    Path tmp;

    private static TableStore tables(Path warehouse) {
        return new TableStore(JobsSpark.get(), JobConfig.load(null, List.of("warehouse=" + warehouse)));
    }

    private static Set<String> strings(TableStore t, String table, String column) {
        return new HashSet<>(t.read(table).select(column).as(Encoders.STRING()).collectAsList());
    }

    private static Cli.Run ok(Cli.Run run) {
        assertThat(run.status()).as("%s", run).isZero();
        return run;
    }

    @Test
    void twoDaysAddOnlyNewIdsAndCurateNothingTwice() {
        Path wh = tmp.resolve("wh");
        ok(Cli.job("generate", wh, "--set", Cli.recipes(ROWS), "--run-date", "2026-01-01"));
        ok(Cli.job("filter", wh, "--set", STEPS));
        TableStore t = tables(wh);
        Set<String> day1Ids = strings(t, TableStore.SYNTHETIC_RAW, "id");
        Set<String> day1Seeds = strings(t, TableStore.SYNTHETIC_RAW, "seed_id");
        Set<String> day1Curated = strings(t, TableStore.SYNTHETIC_CURATED, "id");
        assertThat(day1Ids).hasSize(ROWS);
        assertThat(day1Curated).as("the fixture keeps some rows").isNotEmpty();

        Cli.Run again = Cli.job("generate", wh, "--set", Cli.recipes(ROWS), "--run-date", "2026-01-01");
        assertThat(again.status()).as("%s", again).isNotZero();
        assertThat(again.err()).contains("Cannot generate: all " + ROWS + " planned rows are already in synthetic_raw"
                + " (add --resume to skip finished rows, or give a new --run-date for new ones)");

        ok(Cli.job("generate", wh, "--set", Cli.recipes(ROWS), "--run-date", "2026-01-02"));
        Cli.Run filter2 = ok(Cli.job("filter", wh, "--set", STEPS));

        Set<String> ids = strings(t, TableStore.SYNTHETIC_RAW, "id");
        Set<String> seeds = strings(t, TableStore.SYNTHETIC_RAW, "seed_id");
        assertThat(ids).as("day 2 adds only new ids").hasSize(2 * ROWS).containsAll(day1Ids);
        assertThat(seeds).as("day 2 draws combinations day 1 did not").hasSize(2 * ROWS).containsAll(day1Seeds);

        List<String> curated = t.read(TableStore.SYNTHETIC_CURATED).select("id").as(Encoders.STRING()).collectAsList();
        Set<String> rejected = strings(t, TableStore.SYNTHETIC_REJECTED, "id");
        assertThat(new HashSet<>(curated)).as("nothing curated twice").hasSize(curated.size()).containsAll(day1Curated);
        assertThat(rejected).as("no curated row is also rejected").doesNotContainAnyElementsOf(curated);
        assertThat(new HashSet<>(curated).size() + rejected.size()).isEqualTo(2 * ROWS);
        assertThat(filter2.out()).as("day 1's curated rows are not filtered again")
                .contains(String.format("  %-22s %10d%n", "input", 2 * ROWS - day1Curated.size()));
        assertThat(strings(t, EarlierRunsDedup.TABLE, "id")).as("signatures of every curated row")
                .isEqualTo(new HashSet<>(curated));
    }

    /** A raw table written by hand: known texts, so the duplicates across days are certain. */
    private static void raw(TableStore t, Row... rows) {
        StructType schema = new StructType().add("id", DataTypes.StringType).add("completion", DataTypes.StringType)
                .add("accepted", DataTypes.BooleanType).add("reject_reason", DataTypes.StringType);
        t.insertNew(TableStore.SYNTHETIC_RAW, JobsSpark.get().createDataFrame(List.of(rows), schema), "id");
    }

    private static Row row(String id, String text) {
        return RowFactory.create(id, text, true, null);
    }

    private static final String PHOTO = "Photosynthesis turns light energy into chemical energy stored in glucose,"
            + " and plants release oxygen as a product of splitting water molecules in the leaves.";
    private static final String TIDES = "Tides rise and fall twice a day because the moon pulls on the oceans and"
            + " the earth rotates beneath the two bulges of water that this pull creates.";

    @Test
    void dayTwoCopiesOfRowsDayOneCuratedAreRejectedAndDayOneRowsStayOnlyCurated() {
        Path wh = tmp.resolve("dedup");
        TableStore t = tables(wh);
        String steps = "filter.steps=[{name: exact_dedup}, {name: near_dedup}]";
        raw(t, row("d1-photo", PHOTO), row("d1-tides", TIDES),
                RowFactory.create("d1-vote", "A majority vote that did not agree on an answer at all.", false, "no_majority"));
        Cli.Run day1 = ok(Cli.job("filter", wh, "--set", steps));
        assertThat(strings(t, TableStore.SYNTHETIC_CURATED, "id")).containsExactlyInAnyOrder("d1-photo", "d1-tides");
        assertThat(day1.out()).contains("filter: 1 row(s) with accepted = false (rejected by their recipe) are not"
                + " filtered");
        assertThat(t.read(TableStore.SYNTHETIC_REJECTED).count()).isZero();

        String nearCopy = PHOTO.replace("in the leaves.", "in the leaf.");
        raw(t, row("a2-exact", TIDES.toUpperCase()), row("a2-near", nearCopy),
                row("d2-new", "Volcanoes form where magma from the mantle rises through cracks in the crust and"
                        + " erupts as lava, ash and gas over thousands of years."));
        Cli.Run day2 = ok(Cli.job("filter", wh, "--set", steps));

        assertThat(strings(t, TableStore.SYNTHETIC_CURATED, "id"))
                .containsExactlyInAnyOrder("d1-photo", "d1-tides", "d2-new");
        List<Row> rejected = t.read(TableStore.SYNTHETIC_REJECTED).select("id", "reject_step", "reject_reason")
                .orderBy("id").collectAsList();
        assertThat(rejected).containsExactly(
                RowFactory.create("a2-exact", EarlierRunsDedup.NAME, "exact_dedup_duplicate"),
                RowFactory.create("a2-near", EarlierRunsDedup.NAME, "near_dedup_duplicate"));
        assertThat(day2.out()).contains(String.format("  %-22s %10d removed, %d left%n", EarlierRunsDedup.NAME, 2, 1))
                .as("day 1's signatures were stored on day 1, not recomputed")
                .doesNotContain("stored the dedup signatures");
        assertThat(strings(t, EarlierRunsDedup.TABLE, "id")).containsExactlyInAnyOrder("d1-photo", "d1-tides", "d2-new");
    }

    @Test
    void aSignatureTableMissingIsBuiltOnceFromTheCuratedRows() throws Exception {
        Path wh = tmp.resolve("backfill");
        TableStore t = tables(wh);
        String steps = "filter.steps=[{name: exact_dedup}, {name: near_dedup}]";
        raw(t, row("d1-photo", PHOTO), row("d1-tides", TIDES));
        ok(Cli.job("filter", wh, "--set", steps));
        // a warehouse from before the signatures table
        try (var files = Files.walk(Path.of(t.location(EarlierRunsDedup.TABLE)))) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        raw(t, row("a2-exact", TIDES + " "));
        Cli.Run day2 = ok(Cli.job("filter", wh, "--set", steps));
        assertThat(day2.out()).contains("filter: stored the dedup signatures of 2 curated row(s) from earlier runs in "
                + EarlierRunsDedup.TABLE);
        assertThat(strings(t, TableStore.SYNTHETIC_REJECTED, "id")).containsExactly("a2-exact");
    }

    @Test
    void aTaxonomyTooSmallForTheCountFailsBeforeInference() throws Exception {
        Path taxonomy = tmp.resolve("taxonomy.yaml");
        Files.writeString(taxonomy, String.join("\n",
                "subjects:",
                "  - name: Algebra",
                "    area: math",
                "    topics:",
                "      - name: Linear equations",
                "        subtopics: [one variable, two variables]",
                "audiences: [high school]",
                "styles: [concise]",
                "difficulties: [introductory, advanced]", ""));
        Path wh = tmp.resolve("coverage");
        String recipe = "generate.taxonomy=" + taxonomy;
        Cli.Run dry = Cli.job("generate", wh, "--set", recipe, "--set", Cli.recipes(5), "--dry-run");
        assertThat(dry.status()).isNotZero();
        assertThat(dry.err()).contains("Cannot plan recipe 'textbook_section': it asks for 5 rows but the taxonomy has"
                + " 4 topic combinations left (4 in all, 0 already written by earlier runs); add subjects, topics,"
                + " subtopics, audiences, styles or difficulties to the taxonomy (generate.taxonomy), or lower count"
                + " to 4");

        ok(Cli.job("generate", wh, "--set", recipe, "--set", Cli.recipes(3), "--run-date", "2026-01-01"));
        Cli.Run day2 = Cli.job("generate", wh, "--set", recipe, "--set", Cli.recipes(3), "--run-date", "2026-01-02");
        assertThat(day2.status()).isNotZero();
        assertThat(day2.err()).contains("it asks for 3 rows but the taxonomy has 1 topic combinations left (4 in all,"
                + " 3 already written by earlier runs)");
        assertThat(day2.out()).doesNotContain("chunk 1/1 committed");
        ok(Cli.job("generate", wh, "--set", recipe, "--set", Cli.recipes(1), "--run-date", "2026-01-02"));
        assertThat(strings(tables(wh), TableStore.SYNTHETIC_RAW, "seed_id")).hasSize(4);
    }
}
