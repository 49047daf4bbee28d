package dev.phi4spark.jobs.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phi4spark.jobs.config.ConfigKeys;
import org.junit.jupiter.api.Test;

/** {@code phi4spark config ...} as a user runs it. */
class ConfigCommandTest {

    @Test
    void keysPrintsTheTableTheReadmeCarries() {
        ModelCommandTest.Run r = ModelCommandTest.run("config", "keys");
        assertThat(r.status()).isZero();
        assertThat(r.out()).isEqualTo(ConfigKeys.markdownTable());
        assertThat(r.out()).contains("| `model.attention` | string | `auto` |")
                .contains("| `model.min_shared_prefix` | integer [0, 1048576] | `64` |");
    }

    @Test
    void stepsPrintsTheTableTheFiltersReadmeCarries() throws java.io.IOException {
        ModelCommandTest.Run r = ModelCommandTest.run("config", "steps");
        assertThat(r.status()).isZero();
        assertThat(r.out()).isEqualTo(dev.phi4spark.filters.pipeline.StepSpecs.markdownTable());
        String readme = java.nio.file.Files.readString(java.nio.file.Path.of(System.getProperty("user.dir"))
                .getParent().resolve("filters/README.md"));
        assertThat(readme).contains(r.out()).contains("| `judge_score` | | | | Model-based.")
                .contains("| | `max_perplexity` | number > 1 | `1000` |");
    }

    @Test
    void showResolvesTheAttentionAndPrefixKeys() {
        ModelCommandTest.Run r = ModelCommandTest.run("config", "show", "--set", "model.attention=plain",
                "--set", "model.min_shared_prefix=0");
        assertThat(r.status()).isZero();
        assertThat(r.out()).contains("\"model.attention\" : \"plain\"").contains("\"model.min_shared_prefix\" : 0");
    }
}
