package dev.phi4spark.jobs.storage;

import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/** The daily flow on a local S3 server (s3rver), through the S3A client. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class S3FlowTest extends ObjectStoreFlow {

    private S3Server s3;

    @BeforeAll
    void start() {
        s3 = S3Server.start("phi4spark");
    }

    @AfterAll
    void stop() {
        s3.close();
    }

    @Override
    String uri(String path) {
        return s3.uri(path);
    }

    @Override
    void configure(Configuration conf) {
        s3.configure(conf);
    }

    @Override
    List<String> sparkConf() {
        return s3.sparkConfEntries();
    }
}
