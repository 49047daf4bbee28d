package dev.phi4spark.udf.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.phi4spark.udf.engine.ChoiceResult;
import dev.phi4spark.udf.engine.Phi4Engine;
import dev.phi4spark.udf.engine.ScoreResult;
import dev.phi4spark.udf.tokenizer.Phi4Tokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

class Phi4ScorerJudgeTest {

    static final String SHORT = "The sea is deep and the mountains are high.";
    static final String LONG = IntStream.range(0, 60).mapToObj(i -> "Sentence " + i + " tells of rivers and hills.")
            .collect(Collectors.joining(" "));
    static final String HUGE = IntStream.range(0, 3000).mapToObj(i -> Integer.toString(i * 7919 % 10007))
            .collect(Collectors.joining(" "));

    static Dataset<Row> docs() {
        StructType schema = new StructType().add("id", DataTypes.IntegerType).add("text", DataTypes.StringType);
        List<Row> rows = List.of(RowFactory.create(0, SHORT), RowFactory.create(1, LONG), RowFactory.create(2, null),
                RowFactory.create(3, " "), RowFactory.create(4, "a"), RowFactory.create(5, HUGE));
        return SparkTestSession.spark().createDataFrame(rows, schema).repartition(2);
    }

    static Phi4Scorer scorer() {
        return new Phi4Scorer().setOptions(SparkTestSession.options()).setWindowTokens(128).setWindowOverlap(32);
    }

    static Phi4Judge judge() {
        return new Phi4Judge().setOptions(SparkTestSession.options());
    }

    @Test
    void scoresShortTextsLikeTheEngineAndLongOnesInWindows() {
        List<Row> rows = Phi4GeneratorTest.sorted(scorer().transform(docs()));
        Phi4Engine engine = SparkTestSession.directEngine();
        Phi4Tokenizer tok = engine.requireTokenizer();
        ScoreResult direct = engine.score(List.of(tok.encode(SHORT))).get(0);
        assertThat(rows.get(0).getDouble(2)).isCloseTo(direct.mean(), within(1e-5));
        assertThat(rows.get(0).getDouble(3)).isCloseTo(direct.perplexity(), within(1e-3 * direct.perplexity()));
        assertThat(rows.get(0).getInt(4)).isEqualTo(direct.tokenCount());

        long[] longIds = tok.encode(LONG);
        assertThat(longIds.length).isGreaterThan(3 * 128);
        assertThat(rows.get(1).getInt(4)).isEqualTo(longIds.length - 1);
        assertThat(rows.get(1).isNullAt(5)).isTrue();
        assertThat(rows.get(2).getString(5)).isEqualTo("empty_prompt: the text is null");
        assertThat(rows.get(3).getString(5)).isEqualTo("empty_prompt: the text is empty");
        assertThat(rows.get(4).getString(5)).isEqualTo("too_short: nothing to score in 1 token");
        assertThat(rows.get(4).isNullAt(2)).isTrue();
        assertThat(rows.get(5).isNullAt(5)).isTrue(); // longer than the context: windows handle it
    }

    @Test
    void windowedScoreEqualsTheWholeScoreWhenOneWindowHoldsTheText() {
        List<Row> wide = Phi4GeneratorTest.sorted(scorer().setWindowTokens(4096).transform(docs().filter("id < 2")));
        Phi4Engine engine = SparkTestSession.directEngine();
        ScoreResult direct = engine.score(List.of(engine.requireTokenizer().encode(LONG))).get(0);
        Row longRow = wide.stream().filter(r -> r.getInt(0) == 1).findFirst().orElseThrow();
        assertThat(longRow.getDouble(2)).isCloseTo(direct.mean(), within(1e-5));
    }

    @Test
    void windowsScoreEveryTokenOnce() {
        long[] ids = IntStream.range(0, 1000).mapToLong(i -> i).toArray();
        List<ScoreWindows.Window> windows = ScoreWindows.split(ids, 300, 100);
        int scored = 0;
        long expectNext = 1;
        for (ScoreWindows.Window w : windows) {
            assertThat(w.ids().length).isLessThanOrEqualTo(300);
            assertThat(w.ids()[w.firstScored()]).isEqualTo(expectNext);
            scored += w.ids().length - w.firstScored();
            expectNext = w.ids()[w.ids().length - 1] + 1;
        }
        assertThat(scored).isEqualTo(999);
        assertThat(windows.get(1).firstScored()).isEqualTo(100);
        assertThat(ScoreWindows.split(ids, 300, 0).get(1).firstScored()).isEqualTo(1);
        assertThatThrownBy(() -> scorer().setWindowOverlap(128).transform(docs()))
                .hasMessage("Cannot score: windowOverlap must be >= 0 and < windowTokens (128)");
    }

    @Test
    void judgeReusesTheRubricHeadWithoutChangingAScore() {
        Phi4Metrics off = Phi4Metrics.create(SparkTestSession.spark(), "judge-prefix-off");
        Phi4Metrics on = Phi4Metrics.create(SparkTestSession.spark(), "judge-prefix-on");
        List<Row> plain = Phi4GeneratorTest.sorted(judge().setMinSharedPrefix(0).setMetrics(off).transform(docs()));
        List<Row> reused = Phi4GeneratorTest.sorted(judge().setMetrics(on).transform(docs()));
        for (int i = 0; i < plain.size(); i++) {
            if (plain.get(i).isNullAt(2)) {
                assertThat(reused.get(i).isNullAt(2)).isTrue();
                continue;
            }
            assertThat(reused.get(i).getDouble(2)).as("row %d", i).isCloseTo(plain.get(i).getDouble(2), within(1e-5));
        }
        long head = JudgePrompt.defaults().head(SparkTestSession.directEngine().requireTokenizer()).length;
        assertThat(head).isGreaterThan(dev.phi4spark.udf.engine.ModelOptions.MIN_SHARED_PREFIX.defaultValue());
        assertThat(off.cachedPromptTokens().value()).isZero();
        // Every judged row (4 of the 6: null and blank are refused) starts from the cached rubric head.
        assertThat(on.cachedPromptTokens().value()).isEqualTo(4 * head);
    }

    @Test
    void judgeReadsTheDigitProbabilitiesLikeTheEngine() {
        List<Row> rows = Phi4GeneratorTest.sorted(judge().transform(docs()));
        Phi4Engine engine = SparkTestSession.directEngine();
        Phi4Tokenizer tok = engine.requireTokenizer();
        long[] digits = JudgePrompt.digitIds(tok);
        assertThat(digits).containsExactly(tok.tokenId("0").getAsLong(), tok.tokenId("1").getAsLong(),
                tok.tokenId("2").getAsLong(), tok.tokenId("3").getAsLong(), tok.tokenId("4").getAsLong(),
                tok.tokenId("5").getAsLong());
        String rendered = JudgePrompt.defaults().render(SHORT);
        assertThat(rendered).endsWith("<|im_start|>assistant<|im_sep|>Educational score: ");
        ChoiceResult direct = engine.choose(List.of(tok.encodeWithControlTokens(rendered)), digits).get(0);

        Row r = rows.get(0);
        List<Double> dist = r.getList(4);
        assertThat(dist).hasSize(6);
        assertThat(dist.stream().mapToDouble(Double::doubleValue).sum()).isCloseTo(1.0, within(1e-5));
        for (int k = 0; k < 6; k++) {
            assertThat(dist.get(k)).isCloseTo(direct.normalized()[k], within(1e-5));
        }
        assertThat(r.getDouble(2)).isCloseTo(direct.expected(JudgePrompt.digitValues()), within(1e-5));
        assertThat(r.getInt(3)).isEqualTo(direct.argmax());
        assertThat(rows.get(2).getString(5)).isEqualTo("empty_prompt: the text is null");
        assertThat(rows.get(5).isNullAt(5)).isTrue(); // cut to fit the context
    }

    @Test
    void judgeCutsLongDocumentsToTheContextOrTheCap() {
        Phi4Tokenizer tok = SparkTestSession.directEngine().requireTokenizer();
        JudgePrompt.Encoded fit = JudgePrompt.defaults().encode(tok, HUGE, 4096);
        assertThat(fit.truncated()).isTrue();
        assertThat(fit.ids().length).isLessThanOrEqualTo(4096).isGreaterThan(4000);
        JudgePrompt capped = new JudgePrompt(JudgePrompt.DEFAULT_RUBRIC, null, JudgePrompt.DEFAULT_PREFIX, 50);
        JudgePrompt.Encoded cut = capped.encode(tok, LONG, 4096);
        int overhead = tok.encodeWithControlTokens(capped.render("")).length;
        assertThat(cut.truncated()).isTrue();
        assertThat(cut.ids().length).isBetween(overhead + 40, overhead + 52);
        assertThat(JudgePrompt.defaults().encode(tok, SHORT, 4096).truncated()).isFalse();
        assertThat(JudgePrompt.defaults().encode(tok, SHORT, 100).error().render())
                .startsWith("prompt_too_long: the rubric alone has ").endsWith(" tokens and the context holds 100");
        assertThatThrownBy(() -> judge().setRubric("Rate this.").transform(docs()))
                .hasMessage("Cannot judge: the rubric has no {document} placeholder (Rate this.)");
    }

    @Test
    void rowsAreReturnedInInputOrderWithinAPartition() {
        StructType schema = new StructType().add("id", DataTypes.IntegerType).add("text", DataTypes.StringType);
        List<Row> in = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            in.add(RowFactory.create(i, "word ".repeat(20 - i) + i));
        }
        Dataset<Row> df = SparkTestSession.spark().createDataFrame(in, schema).coalesce(1);
        List<Row> out = scorer().setWindowRows(7).setMaxBatchRows(3).transform(df).collectAsList();
        assertThat(out.stream().map(r -> r.getInt(0)).toList()).isEqualTo(IntStream.range(0, 20).boxed().toList());
    }
}
