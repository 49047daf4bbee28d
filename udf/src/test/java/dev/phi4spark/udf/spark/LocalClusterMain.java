package dev.phi4spark.udf.spark;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF0;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;

/**
 * Run by {@link LocalClusterTest} in its own JVM: the generator on {@code local-cluster[2,1,1024]}, two
 * executor JVMs. Prints one {@code ROW} line per row: id, executor PID, the executor's model loads so
 * far, and the completion in Base64.
 */
public final class LocalClusterMain {

    private LocalClusterMain() {}

    public static void main(String[] args) throws InterruptedException {
        String model = args[0];
        SparkSession spark = SparkTestSession.builder("local-cluster[2,1,1024]")
                .config("spark.executor.extraClassPath", System.getProperty("java.class.path"))
                // The client compiler only, here and in the test's JVM: a short job is mostly JVM start, where the
                // server compiler's work competes with it for two cores (the test ~28 s instead of ~39).
                .config("spark.executor.extraJavaOptions", "-Dlog4j2.configurationFile=log4j2-test.xml"
                        + " -XX:TieredStopAtLevel=1")
                .getOrCreate();
        try {
            awaitExecutors(spark, 2);
            UserDefinedFunction pid = functions.udf((UDF0<Long>) () -> ProcessHandle.current().pid(),
                    DataTypes.LongType).asNondeterministic();
            UserDefinedFunction loads = functions.udf((UDF0<Integer>) ModelRegistry::loadCount,
                    DataTypes.IntegerType).asNondeterministic();
            Dataset<Row> out = Phi4GeneratorTest.generator(Phi4Options.of(model).withDevice("cpu"))
                    .transform(Phi4GeneratorTest.prompts(spark, 4))
                    .withColumn("pid", pid.apply())
                    .withColumn("loads", loads.apply());
            for (Row r : out.select("id", "pid", "loads", "completion").collectAsList()) {
                String text = Base64.getEncoder().encodeToString(r.getString(3).getBytes(StandardCharsets.UTF_8));
                System.out.println("ROW " + r.getInt(0) + " " + r.getLong(1) + " " + r.getInt(2) + " " + text);
            }
            System.out.println("DONE");
        } finally {
            spark.stop();
        }
    }

    private static void awaitExecutors(SparkSession spark, int n) throws InterruptedException {
        long until = System.currentTimeMillis() + 120_000;
        // getExecutorInfos includes the driver
        while (spark.sparkContext().statusTracker().getExecutorInfos().length < n + 1) {
            if (System.currentTimeMillis() > until) {
                throw new IllegalStateException("Cannot run: " + n + " executors did not start in 2 minutes ("
                        + (spark.sparkContext().statusTracker().getExecutorInfos().length - 1) + ")");
            }
            Thread.sleep(200);
        }
    }
}
