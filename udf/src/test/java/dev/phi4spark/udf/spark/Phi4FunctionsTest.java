package dev.phi4spark.udf.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.phi4spark.udf.engine.GenerationRequest;
import dev.phi4spark.udf.engine.Phi4Engine;
import dev.phi4spark.udf.engine.SamplingParams;
import dev.phi4spark.udf.tokenizer.ChatTemplate;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class Phi4FunctionsTest {

    @BeforeAll
    static void register() {
        Phi4Functions.register(SparkTestSession.spark(), SparkTestSession.options());
    }

    static String generate(String prompt, int max, double t) {
        Phi4Engine engine = SparkTestSession.directEngine();
        String rendered = ChatTemplate.render(null, prompt);
        SamplingParams p = SamplingParams.DEFAULTS.withTemperature(t).withMaxNewTokens(max)
                .withSeed(Phi4Generator.rowSeed(0, rendered));
        return engine.generate(List.of(new GenerationRequest(engine.requireTokenizer().encodeWithControlTokens(rendered), p)))
                .get(0).text();
    }

    @Test
    void generateTakesOneToThreeArguments() {
        SparkSession spark = SparkTestSession.spark();
        Row r = spark.sql("SELECT phi4_generate('Tell me about rivers', 6) AS a, "
                + "phi4_generate('Tell me about rivers', 5, 0.8) AS b, phi4_generate(NULL) AS c").first();
        // the temperature left out is the one default of SamplingParams
        assertThat(r.getString(0)).isEqualTo(generate("Tell me about rivers", 6, SamplingParams.DEFAULTS.temperature()));
        assertThat(r.getString(1)).isEqualTo(generate("Tell me about rivers", 5, 0.8));
        assertThat(r.isNullAt(2)).isTrue();
        assertThatThrownBy(() -> spark.sql("SELECT phi4_generate('a', 1, 0.5, 9)").first())
                .hasMessageContaining("Cannot call phi4_generate: expected 1 to 3 arguments (4)");
    }

    @Test
    void generateWithDefaultsRunsOverATable() {
        SparkSession spark = SparkTestSession.spark();
        spark.createDataFrame(List.of(new Doc("Hi"), new Doc("Hello")), Doc.class).createOrReplaceTempView("docs");
        List<Row> rows = spark.sql("SELECT text, phi4_generate(text, 4) AS c FROM docs").collectAsList();
        assertThat(rows).hasSize(2).allSatisfy(row -> assertThat(row.getString(1)).isNotNull());
    }

    @Test
    void scoreAndJudgeMatchTheTransformers() {
        SparkSession spark = SparkTestSession.spark();
        String text = Phi4ScorerJudgeTest.SHORT;
        Row r = spark.sql("SELECT s.mean_logprob, s.perplexity, s.token_count, j FROM (SELECT phi4_score(t) AS s, "
                + "phi4_judge(t) AS j FROM VALUES ('" + text + "') AS v(t))").first();
        Row viaScorer = Phi4GeneratorTest.sorted(new Phi4Scorer().setOptions(SparkTestSession.options())
                .transform(Phi4ScorerJudgeTest.docs())).get(0);
        Row viaJudge = Phi4GeneratorTest.sorted(new Phi4Judge().setOptions(SparkTestSession.options())
                .transform(Phi4ScorerJudgeTest.docs().filter("id = 0"))).get(0);
        assertThat(r.getDouble(0)).isCloseTo(viaScorer.getDouble(2), within(1e-5));
        assertThat(r.getDouble(1)).isCloseTo(viaScorer.getDouble(3), within(1e-3));
        assertThat(r.getInt(2)).isEqualTo(viaScorer.getInt(4));
        assertThat(r.getDouble(3)).isCloseTo(viaJudge.getDouble(2), within(1e-5));
        Row bad = spark.sql("SELECT phi4_score('a') AS s, phi4_judge(NULL) AS j").first();
        assertThat(bad.isNullAt(0)).isTrue();
        assertThat(bad.isNullAt(1)).isTrue();
    }

    /** A bean for a small table. */
    public static final class Doc implements java.io.Serializable {
        private String text;

        public Doc() {}

        Doc(String text) {
            this.text = text;
        }

        public String getText() {
            return text;
        }

        public void setText(String text) {
            this.text = text;
        }
    }
}
