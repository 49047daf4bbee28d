package dev.phi4spark.udf.engine;

import java.io.Serializable;

/**
 * One row to generate from: its prompt token ids and how to decode.
 *
 * @param promptIds the prompt, already tokenized (chat template applied if wanted)
 * @param params the sampling parameters
 */
public record GenerationRequest(long[] promptIds, SamplingParams params) implements Serializable {
    private static final long serialVersionUID = 1L;
}
