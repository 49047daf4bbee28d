package dev.phi4spark.udf.spark;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phi4spark.udf.engine.RowError;
import dev.phi4spark.udf.engine.ScoreResult;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Window results added up into a document's typed score. */
class ScoreWindowsTest {

    private static ScoreResult scored(double sum, int count) {
        return new ScoreResult(new float[count], sum, sum / count, Math.exp(-sum / count), count, null);
    }

    private static ScoreResult failed(String code) {
        return new ScoreResult(new float[0], Double.NaN, Double.NaN, Double.NaN, 0, new RowError(code, "window"));
    }

    @Test
    void windowsAddUpToOneTotal() {
        ScoreWindows.TextScore s = ScoreWindows.combine(List.of(scored(-3, 2), scored(-5, 3)));
        assertThat(s).isEqualTo(new ScoreWindows.Total(-8, 5));
        assertThat(((ScoreWindows.Total) s).mean()).isEqualTo(-1.6);
    }

    @Test
    void theFirstFailedWindowIsTheDocumentsError() {
        ScoreWindows.TextScore s = ScoreWindows.combine(List.of(scored(-3, 2), failed("out_of_memory"),
                failed("non_finite_logits")));
        assertThat(s).isEqualTo(new ScoreWindows.Failed(new RowError("out_of_memory", "window")));
    }
}
