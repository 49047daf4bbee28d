package dev.phi4spark.jobs.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phi4spark.jobs.JobsSpark;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

/** The S3A client and the local S3 server agree: what is written reads back byte for byte. */
class S3ServerTest {

    @Test
    void aFileWrittenThroughS3aReadsBack() throws Exception {
        try (S3Server s3 = S3Server.start("roundtrip")) {
            Configuration conf = new Configuration();
            s3.configure(conf);
            Path p = new Path(s3.uri("dir/hello.txt"));
            FileSystem fs = p.getFileSystem(conf);
            String text = "hello, object store\n".repeat(1000);
            try (OutputStream out = fs.create(p, true)) {
                out.write(text.getBytes(StandardCharsets.UTF_8));
            }
            assertThat(fs.getFileStatus(p).getLen()).isEqualTo(text.length());
            // The upload was buffered in the server's own folder, which goes when the JVM exits.
            assertThat(s3.bufferDir()).isDirectory();
            try (var in = fs.open(p)) {
                assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo(text);
            }
            assertThat(fs.listStatus(new Path(s3.uri("dir")))).hasSize(1);
            Path dir = new Path(s3.uri("tables/t/_delta_log"));
            assertThat(fs.exists(dir)).isFalse();
            assertThat(fs.mkdirs(dir)).isTrue();
            assertThat(fs.getFileStatus(dir).isDirectory()).isTrue();
        }
    }

    @Test
    void aDeltaTableIsWrittenAndReadOnTheServer() {
        try (S3Server s3 = S3Server.start("delta")) {
            SparkSession spark = JobsSpark.get();
            s3.configure(spark.sparkContext().hadoopConfiguration());
            String table = s3.uri("wh/numbers");
            spark.range(10).write().format("delta").save(table);
            spark.range(5, 15).write().format("delta").mode("append").save(table);
            assertThat(spark.read().format("delta").load(table).count()).isEqualTo(20);
        }
    }
}
