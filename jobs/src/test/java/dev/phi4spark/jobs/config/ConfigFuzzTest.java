package dev.phi4spark.jobs.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17: hostile configuration values (wrong types, out of range, huge, YAML tricks), through {@code --set}
 * and through a file. Every case either builds a configuration whose numbers lie in their declared ranges
 * and whose strings are within the size limit, or fails with one {@link ConfigException} line; nothing else.
 */
class ConfigFuzzTest {

    private static final int CASES = 1500;
    private static final int FILE_EVERY = 10;

    private static final String[] INTEGERS = {"0", "-1", "1", "2", "7", "65536", "65537", "86400", "86401",
        "1048576", "1048577", "2147483647", "-2147483648", "2147483648", "99999999999999999999999999999", "1e3",
        "1.5", "0x10", "0o17", "+3", "-0", "' 12 '", "\"12\""};
    private static final String[] NUMBERS = {"0.0", "-0.0", "1e-300", "4.9e-324", "0.95", "1.0000001", "100",
        "100.5", "1e400", "-1e400", ".nan", ".inf", "-.inf", "NaN", "\"Infinity\"", "'0.5'"};
    private static final String[] OTHERS = {"true", "false", "yes", "no", "null", "~", "''", "\"\"", "[]", "{}",
        "[1, 2]", "{a: 1}", "[[[[[]]]]]", "&a 3", "!!binary aGVsbG8=", "!!float 1", "2026-11-30", "\"\\u0000\"",
        "\"é😀\\u202e\"", "{x: [1, {y: 2}]}", "'<|im_end|>'"};

    @TempDir
    Path tmp;

    @Test
    void everyValueBuildsACheckedConfigOrFailsInOneLine() throws IOException {
        Random random = new Random(20261130);
        int built = 0;
        int refused = 0;
        for (int i = 0; i < CASES; i++) {
            String name = name(random);
            String value = value(random);
            boolean viaFile = i % FILE_EVERY == 0;
            try {
                JobConfig config = viaFile ? JobConfig.load(file(i, name, value), List.of())
                        : JobConfig.load(null, List.of(name + "=" + value));
                assertWithinLimits(config, name + "=" + value.substring(0, Math.min(60, value.length())));
                built++;
            } catch (ConfigException e) {
                assertThat(e.getMessage()).as(name).startsWith("Cannot read").doesNotContain("\n", "\r");
                assertThat(e.getMessage().length()).as(name).isLessThan(600);
                refused++;
            } catch (RuntimeException e) {
                fail("case " + i + " (" + name + "=" + value.substring(0, Math.min(60, value.length())) + ") threw " + e, e);
            }
        }
        assertThat(built).isGreaterThan(CASES / 10);
        assertThat(refused).isGreaterThan(CASES / 10);
        assertThat(built + refused).isEqualTo(CASES);
    }

    private static String name(Random random) {
        List<ConfigKey<?>> keys = ConfigKeys.ALL;
        int pick = random.nextInt(keys.size() + 2);
        if (pick == keys.size()) {
            return "spark.conf.spark.executor.memory";
        }
        return pick == keys.size() + 1 ? "sampling.temprature" : keys.get(pick).name();
    }

    private static String value(Random random) {
        return switch (random.nextInt(9)) {
            case 0 -> INTEGERS[random.nextInt(INTEGERS.length)];
            case 1 -> NUMBERS[random.nextInt(NUMBERS.length)];
            case 2 -> OTHERS[random.nextInt(OTHERS.length)];
            case 3 -> Integer.toString(random.nextInt());
            case 4 -> Double.toString(random.nextGaussian() * Math.pow(10, random.nextInt(12) - 4));
            case 5 -> "\"" + "z".repeat(random.nextBoolean() ? JobConfig.MAX_SCALAR_CHARS : JobConfig.MAX_SCALAR_CHARS + 1)
                    + "\"";
            case 6 -> "[" + "{k: \"" + "w".repeat(random.nextInt(70_000)) + "\"}" + "]";
            case 7 -> {
                int depth = 1 + random.nextInt(300);
                yield "[".repeat(depth) + "]".repeat(depth);
            }
            default -> Long.toString(random.nextLong());
        };
    }

    private Path file(int i, String name, String value) throws IOException {
        return Files.writeString(tmp.resolve("c" + i + ".yaml"), name + ": " + value + "\n");
    }

    private static void assertWithinLimits(JobConfig config, String what) {
        for (ConfigKey<?> key : ConfigKeys.ALL) {
            Object v = config.get(key);
            if (v instanceof Number n) {
                double d = n.doubleValue();
                assertThat(Double.isFinite(d)).as(what).isTrue();
                if (key.min() != null) {
                    assertThat(key.minOpen() ? d > key.min() : d >= key.min()).as(what + " " + key.name()).isTrue();
                }
                if (key.max() != null) {
                    assertThat(d).as(what + " " + key.name()).isLessThanOrEqualTo(key.max());
                }
            } else if (v instanceof String s) {
                assertThat(s.length()).as(what).isLessThanOrEqualTo(JobConfig.MAX_SCALAR_CHARS);
            } else if (v instanceof JsonNode tree) {
                assertThat(longestString(tree)).as(what).isLessThanOrEqualTo(JobConfig.MAX_SCALAR_CHARS);
            }
        }
    }

    private static int longestString(JsonNode node) {
        List<Integer> lengths = new ArrayList<>();
        lengths.add(node.isTextual() ? node.asText().length() : 0);
        node.fields().forEachRemaining(f -> lengths.add(Math.max(f.getKey().length(), longestString(f.getValue()))));
        if (node.isArray()) {
            node.forEach(child -> lengths.add(longestString(child)));
        }
        return lengths.stream().mapToInt(Integer::intValue).max().orElse(0);
    }

    @Test
    void everyNumericKeyDeclaresARangeThatHoldsItsDefault() {
        for (ConfigKey<?> key : ConfigKeys.ALL) {
            if (key.type().equals("integer") || key.type().equals("number")) {
                assertThat(key.min()).as(key.name()).isNotNull();
                assertThat(key.max()).as(key.name()).isNotNull();
                // An optional threshold (export.min_judge_score) is unset by default and says so.
                if (JobConfig.defaults().get(key) == null) {
                    assertThat(key.doc()).as(key.name()).contains("unset");
                }
            }
        }
    }
}
