package dev.phi4spark.udf.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.phi4spark.udf.engine.EngineOptions;
import dev.phi4spark.udf.engine.ModelOption;
import dev.phi4spark.udf.engine.ModelOptions;
import java.util.Map;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.junit.jupiter.api.Test;

class Phi4OptionsTest {

    @Test
    void optionsComeFromTheTableWithItsDefaultsAndRules() {
        Phi4Options o = Phi4Options.of(" hdfs:///models/phi-4 ", opt -> opt == ModelOptions.DEVICE ? "GPU:1"
                : opt == ModelOptions.THREADS ? "4" : null);
        assertThat(o.modelPath()).isEqualTo("hdfs:///models/phi-4");
        assertThat(o.device()).isEqualTo("gpu:1");
        assertThat(o.threads()).isEqualTo(4);
        assertThat(o).isEqualTo(Phi4Options.of("hdfs:///models/phi-4").withDevice("gpu:1").withThreads(4));
        for (ModelOption<?> opt : ModelOptions.ALL) {
            if (opt != ModelOptions.DEVICE && opt != ModelOptions.THREADS) {
                assertThat(o.get(opt)).as(opt.name()).isEqualTo(opt.defaultValue());
            }
        }
        assertThat(o.batching()).isEqualTo(new Phi4Transformer.Batching(16384, 32));
        assertThat(Phi4Options.of("/m").cacheFolder()).isEqualTo(Phi4Options.defaultCacheDir());
        assertThat(Phi4Options.defaultCacheDir().getFileName().toString()).isEqualTo("phi4spark-models");
        assertThatThrownBy(() -> Phi4Options.of("/m", opt -> opt == ModelOptions.THREADS ? "many" : null))
                .hasMessage("Cannot use threads: it must be an integer (many).");
        assertThatThrownBy(() -> Phi4Options.of("/m").withDevice("tpu"))
                .hasMessage("Cannot use device: expected auto, cpu, gpu or gpu:N (tpu).");
        assertThatThrownBy(() -> Phi4Options.of("/m").withThreads(2000))
                .hasMessage("Cannot use threads: it must be from 0 to 1024 (2000).");
        assertThatThrownBy(() -> new Phi4Options("/m", Map.of("flash", "on")))
                .hasMessageStartingWith("Cannot use model option flash: expected one of [device, dtype, threads,");
        assertThatThrownBy(() -> Phi4Options.of("").requireModelPath())
                .hasMessage("Cannot load model: modelPath is not set (\"\")");
    }

    @Test
    void engineOptionsAreTheEngineScopeOnTheResolvedDevice() {
        Phi4Options o = Phi4Options.of("/m").withDtype("float16").withAttention("plain").withMinSharedPrefix(0)
                .with(ModelOptions.MAX_BATCH_ROWS, 3).withCacheDir("/tmp/c");
        EngineOptions e = o.engineOptions("gpu:0");
        assertThat(e.values().keySet()).containsExactly("device", "dtype", "threads", "prefill_chunk", "attention");
        assertThat(e).isEqualTo(EngineOptions.DEFAULTS.withDevice("gpu:0").withDtype("float16").withAttention("plain"));
        assertThatThrownBy(() -> e.get(ModelOptions.MAX_BATCH_ROWS))
                .hasMessage("Cannot read max_batch_rows: not an engine option.");
    }

    @Test
    void everyOptionIsASparkParamOfEveryTransformer() {
        for (Phi4Transformer<?> t : java.util.List.<Phi4Transformer<?>>of(new Phi4Generator(), new Phi4Scorer(),
                new Phi4Judge())) {
            for (ModelOption<?> opt : ModelOptions.ALL) {
                Param<?> p = t.getParam(opt.paramName());
                assertThat(p).as(opt.name()).isSameAs(t.param(opt));
                assertThat(p instanceof IntParam).as(opt.name()).isEqualTo(opt.type() == Integer.class);
                assertThat(t.getOrDefault(p)).as(opt.name()).isEqualTo(opt.defaultValue());
                assertThat(p.doc()).isEqualTo(opt.doc());
            }
            assertThat(t.explainParams()).contains("modelPath", "maxBatchTokens", "prefillChunk", "minSharedPrefix");
        }
    }

    @Test
    void transformersShareTheOptionParams() {
        Phi4Options o = SparkTestSession.options().withThreads(2).withCacheDir("/tmp/c")
                .with(ModelOptions.MAX_BATCH_TOKENS, 999).with(ModelOptions.MAX_BATCH_ROWS, 3);
        assertThat(new Phi4Generator().setOptions(o).getOptions()).isEqualTo(o);
        assertThat(new Phi4Scorer().setOptions(o).getOptions()).isEqualTo(o);
        assertThat(new Phi4Judge().setOptions(o).getOptions()).isEqualTo(o);
        assertThat(new Phi4Judge().setOptions(o).getOptions().batching())
                .isEqualTo(new Phi4Transformer.Batching(999, 3));
        assertThat(new Phi4Judge().explainParams()).contains("modelPath", "maxBatchTokens", "rubric");
    }
}
