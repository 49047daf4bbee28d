package dev.phi4spark.jobs.storage;

import java.util.List;
import org.apache.hadoop.conf.Configuration;
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
        hdfs.close();
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
