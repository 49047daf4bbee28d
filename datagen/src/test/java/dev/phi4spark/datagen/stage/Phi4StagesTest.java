package dev.phi4spark.datagen.stage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phi4spark.udf.engine.ModelOptions;
import dev.phi4spark.udf.engine.SamplingParams;
import dev.phi4spark.udf.spark.Phi4Generator;
import dev.phi4spark.udf.spark.Phi4Judge;
import dev.phi4spark.udf.spark.Phi4Options;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The Phi-4 stages hand every model option, batching included, to the transformers they build. */
class Phi4StagesTest {

    private static final Phi4Options BATCHED = Phi4Options.of("/models/phi-4").withDevice("cpu")
            .with(ModelOptions.MAX_BATCH_TOKENS, 999).with(ModelOptions.MAX_BATCH_ROWS, 3).withMinSharedPrefix(0);

    @Test
    void theJudgeStageRunsWithTheConfiguredBatching() {
        Phi4Judge judge = new Phi4JudgeStage(BATCHED).transformer("text", "j_");
        assertThat(judge.getOptions()).isEqualTo(BATCHED);
        assertThat(judge.getOptions().batching().maxBatchRows()).isEqualTo(3);
    }

    @Test
    void theGeneratorStageRunsWithTheConfiguredBatchingAndTheGivenSampling() {
        SamplingParams sampling = SamplingParams.DEFAULTS.withTemperature(0.3).withStopStrings(List.of("END"))
                .withSeed(11);
        Phi4Generator generator = new Phi4GeneratorStage(BATCHED, "m").generator("messages", "seed", sampling, "g_");
        assertThat(generator.getOptions()).isEqualTo(BATCHED);
        assertThat(generator.getOptions().batching().maxBatchTokens()).isEqualTo(999);
        assertThat(generator.samplingParams()).isEqualTo(sampling);
    }
}
