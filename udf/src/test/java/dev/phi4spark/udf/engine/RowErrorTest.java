package dev.phi4spark.udf.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** A row error and the text the error column shows for it. */
class RowErrorTest {

    @Test
    void rendersAsCodeColonMessageOrTheCodeAlone() {
        RowError e = new RowError(GenerationResult.PROMPT_TOO_LONG, "the prompt has 9 tokens and the context holds 8");
        assertThat(e.render()).isEqualTo("prompt_too_long: the prompt has 9 tokens and the context holds 8");
        assertThat(e.toString()).isEqualTo(e.render());
        assertThat(new RowError("out_of_memory", null).render()).isEqualTo("out_of_memory");
        assertThat(RowError.render(null)).isNull();
        assertThat(RowError.render(e)).isEqualTo(e.render());
    }

    @Test
    void aCodeIsRequired() {
        assertThatThrownBy(() -> new RowError(" ", "why"))
                .hasMessage("Cannot make a row error: the code is blank ( )");
    }
}
