package dev.phi4spark.udf.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class Phi4OptionsTest {

    @Test
    void readsSparkConfKeysWithDefaults() {
        Phi4Options o = Phi4Options.fromConf(Map.of("spark.phi4spark.modelPath", "hdfs:///models/phi-4",
                "spark.phi4spark.device", "GPU:1", "spark.phi4spark.threads", "4"));
        assertThat(o).isEqualTo(new Phi4Options("hdfs:///models/phi-4", "gpu:1", "auto", 4, 512, ""));
        assertThat(Phi4Options.of("/m").cacheFolder()).isEqualTo(Phi4Options.defaultCacheDir());
        assertThat(Phi4Options.defaultCacheDir().getFileName().toString()).isEqualTo("phi4spark-models");
        assertThatThrownBy(() -> Phi4Options.fromConf(Map.of("spark.phi4spark.threads", "many")))
                .hasMessage("Cannot read spark.phi4spark.threads: not an integer (many)");
        assertThatThrownBy(() -> Phi4Options.of("/m").withDevice("tpu"))
                .hasMessage("Cannot use device 'tpu': expected auto, cpu, gpu or gpu:N");
        assertThatThrownBy(() -> Phi4Options.of("").requireModelPath())
                .hasMessage("Cannot load model: modelPath is not set (\"\")");
    }

    @Test
    void transformersShareTheOptionParams() {
        Phi4Options o = SparkTestSession.options().withThreads(2).withCacheDir("/tmp/c");
        assertThat(new Phi4Generator().setOptions(o).getOptions()).isEqualTo(o);
        assertThat(new Phi4Scorer().setOptions(o).getOptions()).isEqualTo(o);
        assertThat(new Phi4Judge().setOptions(o).getOptions()).isEqualTo(o);
        assertThat(new Phi4Judge().explainParams()).contains("modelPath", "maxBatchTokens", "rubric");
    }
}
