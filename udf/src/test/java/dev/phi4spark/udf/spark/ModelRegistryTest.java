package dev.phi4spark.udf.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.phi4spark.udf.engine.ModelLoadException;
import dev.phi4spark.udf.engine.Phi4Engine;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class ModelRegistryTest {

    @Test
    void threadsAskingAtOnceShareOneLoad() throws Exception {
        ModelRegistry.closeAll();
        int loads = ModelRegistry.loadCount();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Callable<Phi4Engine>> asks = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            asks.add(() -> ModelRegistry.engine(SparkTestSession.options(), null));
        }
        List<Future<Phi4Engine>> engines = pool.invokeAll(asks);
        pool.shutdown();
        for (Future<Phi4Engine> f : engines) {
            assertThat(f.get()).isSameAs(engines.get(0).get());
        }
        assertThat(ModelRegistry.loadCount()).isEqualTo(loads + 1);
        // another dtype is another model
        ModelRegistry.engine(SparkTestSession.options().withDtype("float16"), null);
        assertThat(ModelRegistry.loadCount()).isEqualTo(loads + 2);
        // options of the run scope (batching, prefix reuse) are not part of the key: the same engine
        Phi4Options batched = SparkTestSession.options().with(dev.phi4spark.udf.engine.ModelOptions.MAX_BATCH_ROWS, 3)
                .withMinSharedPrefix(0);
        assertThat(ModelRegistry.engine(batched, null)).isSameAs(engines.get(0).get());
        assertThat(ModelRegistry.loadCount()).isEqualTo(loads + 2);
    }

    @Test
    void aFailedLoadIsReportedAndRetriedLater() {
        Phi4Options missing = SparkTestSession.options().withModelPath("/nonexistent/phi-4");
        assertThatThrownBy(() -> ModelRegistry.engine(missing, null))
                .isInstanceOf(ModelLoadException.class)
                .hasMessage("Cannot load model: /nonexistent/phi-4 is not a folder");
        assertThatThrownBy(() -> ModelRegistry.engine(missing, null)).isInstanceOf(ModelLoadException.class);
        assertThatThrownBy(() -> ModelRegistry.engine(SparkTestSession.options().withDevice("gpu"), null))
                .hasMessageStartingWith("Cannot use device 'gpu': libtorch sees no CUDA GPU");
    }
}
