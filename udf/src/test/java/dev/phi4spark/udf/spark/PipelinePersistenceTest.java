package dev.phi4spark.udf.spark;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PipelinePersistenceTest {

    static Pipeline pipeline() {
        Phi4Generator gen = Phi4GeneratorTest.generator().setStopStrings("\n\n").setSystemPrompt("Be brief.")
                .setErrorCol("gen_error");
        Phi4Scorer scorer = new Phi4Scorer().setOptions(SparkTestSession.options()).setInputCol("prompt")
                .setWindowTokens(64).setWindowOverlap(16).setErrorCol("score_error");
        Phi4Judge judge = new Phi4Judge().setOptions(SparkTestSession.options()).setInputCol("prompt")
                .setMaxDocumentTokens(40).setErrorCol("judge_error");
        return new Pipeline().setStages(new PipelineStage[] {gen, scorer, judge});
    }

    @Test
    void aPipelineOfTheThreeSavesLoadsAndGivesTheSameOutput(@TempDir Path tmp) throws IOException {
        Dataset<Row> df = Phi4GeneratorTest.prompts(2).filter("id < 4");
        PipelineModel model = pipeline().fit(df);
        List<Row> before = Phi4GeneratorTest.sorted(model.transform(df));

        model.write().overwrite().save(tmp.resolve("model").toString());
        PipelineModel loaded = PipelineModel.load(tmp.resolve("model").toString());
        List<Row> after = Phi4GeneratorTest.sorted(loaded.transform(df));
        assertThat(after).isEqualTo(before);
        assertThat(loaded.stages()[0]).isInstanceOf(Phi4Generator.class);
        Phi4Generator gen = (Phi4Generator) loaded.stages()[0];
        assertThat(gen.$(gen.stopStrings())).containsExactly("\n\n");
        // every model option is a saved param, batching included (the generator batches 4 rows)
        assertThat(gen.getOptions()).isEqualTo(SparkTestSession.options()
                .with(dev.phi4spark.udf.engine.ModelOptions.MAX_BATCH_ROWS, 4));
        assertThat(((Phi4Judge) loaded.stages()[2]).judgePrompt().maxDocumentTokens()).isEqualTo(40);

        pipeline().write().overwrite().save(tmp.resolve("pipeline").toString());
        Pipeline unfitted = Pipeline.load(tmp.resolve("pipeline").toString());
        List<Row> refit = Phi4GeneratorTest.sorted(unfitted.fit(df).transform(df));
        assertThat(refit).isEqualTo(before);
        assertThat(Files.exists(tmp.resolve("pipeline/metadata"))).isTrue();
    }
}
