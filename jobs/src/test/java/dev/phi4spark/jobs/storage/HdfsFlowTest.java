package dev.phi4spark.jobs.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.util.ShutdownHookManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/** The daily flow on HDFS (an in-process MiniDFSCluster). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HdfsFlowTest extends ObjectStoreFlow {

    private Hdfs hdfs;

    @BeforeAll
    void start() {
        hdfs = Hdfs.start();
    }

    @AfterAll
    void stop() {
        // Spark registers its shutdown hooks (stop the context, delete its folders) through Hadoop's manager
        Runnable sentinel = () -> { };
        ShutdownHookManager.get().addShutdownHook(sentinel, 1);
        hdfs.close();
        assertThat(ShutdownHookManager.get().hasShutdownHook(sentinel))
                .as("the JVM's Hadoop shutdown hooks, Spark's among them, after closing the HDFS cluster").isTrue();
        ShutdownHookManager.get().removeShutdownHook(sentinel);
    }

    @Override
    String uri(String path) {
        return hdfs.uri(path);
    }

    @Override
    void configure(Configuration conf) {
        // hdfs:// URIs carry the NameNode's address: nothing to set.
    }

    @Override
    List<String> sparkConf() {
        return List.of();
    }
}
