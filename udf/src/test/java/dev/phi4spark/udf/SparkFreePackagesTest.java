package dev.phi4spark.udf;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The engine and the tokenizer run without Spark: no main source file of theirs imports or names Spark, Scala
 * or the Spark-facing {@code dev.phi4spark.udf.spark} package, so a program can use them with only DJL on the
 * class path (the udf module still ships them with the Spark code; it is not split).
 */
class SparkFreePackagesTest {

    /** The Spark-free packages' source folders, from the module folder the tests run in. */
    private static final List<Path> SPARK_FREE = List.of(
            Path.of("src/main/java/dev/phi4spark/udf/engine"),
            Path.of("src/main/java/dev/phi4spark/udf/tokenizer"));

    /** A qualified name in Spark, Scala or the Spark-facing package, outside comments. */
    private static final Pattern SPARK = Pattern.compile(
            "(?<![\\w.])(org\\.apache\\.spark|scala|dev\\.phi4spark\\.udf\\.spark)\\.[\\w*]");

    @Test
    void engineAndTokenizerNeitherImportNorNameSpark() throws IOException {
        List<String> found = new ArrayList<>();
        int files = 0;
        for (Path dir : SPARK_FREE) {
            assertThat(dir).as("source folder, from " + Path.of("").toAbsolutePath()).isDirectory();
            List<Path> sources;
            try (Stream<Path> walk = Files.walk(dir)) {
                sources = walk.filter(p -> p.toString().endsWith(".java")).sorted().toList();
            }
            for (Path source : sources) {
                files++;
                found.addAll(references(source));
            }
        }
        assertThat(files).as("Java files scanned").isGreaterThan(10);
        assertThat(found).as("Spark or Scala references in the Spark-free packages").isEmpty();
    }

    @Test
    void theScanFindsAnImportAndAQualifiedName() throws IOException {
        Path source = Files.createTempFile("SparkUser", ".java");
        try {
            Files.writeString(source, String.join("\n",
                    "package dev.phi4spark.udf.engine;",
                    "import org.apache.spark.sql.Row;",
                    "// org.apache.spark in a comment does not count",
                    "class SparkUser { scala.Option<String> name; String scalable = \"x\"; }"));
            assertThat(references(source)).hasSize(2)
                    .anySatisfy(r -> assertThat(r).contains(":2: import org.apache.spark.sql.Row;"))
                    .anySatisfy(r -> assertThat(r).contains(":4: ").contains("scala.Option"));
        } finally {
            Files.delete(source);
        }
    }

    /** Each line of {@code source} naming Spark or Scala, as {@code file:line: text}; comment lines left out. */
    private static List<String> references(Path source) throws IOException {
        List<String> found = new ArrayList<>();
        List<String> lines = Files.readAllLines(source);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.startsWith("//") || line.startsWith("*") || line.startsWith("/*")) {
                continue;
            }
            int comment = line.indexOf("//");
            Matcher m = SPARK.matcher(comment < 0 ? line : line.substring(0, comment));
            if (m.find()) {
                found.add(source + ":" + (i + 1) + ": " + line);
            }
        }
        return found;
    }
}
