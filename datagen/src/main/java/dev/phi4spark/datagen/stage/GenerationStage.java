package dev.phi4spark.datagen.stage;

import dev.phi4spark.udf.engine.SamplingParams;
import java.io.Serializable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The one way the recipes call a model: a batch transformation of a DataFrame of chat prompts. Every
 * recipe step is one call of {@link #generate} over all its rows, so an implementation is free to
 * batch rows per partition (as the Spark {@code Phi4Generator} does).
 *
 * <p>Implementations: {@link ScriptedGenerationStage} (a deterministic stand-in for tests and dry
 * runs) and the adapter to {@code dev.phi4spark.udf.spark.Phi4Generator}. A stage is handed to
 * {@code Datagen.run} once, which is the single place to swap one for the other.
 *
 * <p>Contract: the result has every input column unchanged and in order, the same rows (neither
 * dropped nor duplicated), plus the five columns named by the constants below, each prefixed with
 * {@code outputPrefix}. A row whose call fails has a null completion, finish reason {@code error} and
 * the message in {@code <prefix>error}; the others have a null error. Given the same messages, seed and
 * sampling, a row's outputs must not depend on the other rows.
 */
public interface GenerationStage extends Serializable {

    /** Suffix of the generated text column (string). */
    String COMPLETION = "completion";
    /** Suffix of the finish reason column (string: {@code stop}, {@code length} or {@code error}). */
    String FINISH_REASON = "finish_reason";
    /** Suffix of the prompt token count column (int). */
    String PROMPT_TOKENS = "prompt_tokens";
    /** Suffix of the completion token count column (int). */
    String COMPLETION_TOKENS = "completion_tokens";
    /** Suffix of the per-row error column (string, null when the call succeeded). */
    String ERROR = "error";

    /**
     * Generates one completion per row.
     *
     * @param input the rows
     * @param messagesColumn a column of type {@code array<struct<role:string,content:string>>}
     * @param seedColumn a long column with each row's seed, or null to use {@code sampling.seed()}
     * @param sampling decoding settings shared by all rows
     * @param outputPrefix prefix of the five added columns, for example {@code "draft_"}
     * @return the input plus the five prefixed columns
     */
    Dataset<Row> generate(Dataset<Row> input, String messagesColumn, String seedColumn, SamplingParams sampling,
            String outputPrefix);

    /**
     * Continues an open assistant turn: like {@link #generate}, but the model's answer to each row's
     * messages starts with the text of {@code prefixColumn}, and the completion is what follows it. The
     * rows of one prefix share it in the engine's prefix cache. Pivotal token search uses it for its
     * rollouts.
     *
     * @param input the rows
     * @param messagesColumn the prompt, as in {@link #generate}
     * @param prefixColumn a string column with the start of the assistant's answer
     * @param seedColumn each row's seed, or null
     * @param sampling decoding settings shared by all rows
     * @param outputPrefix prefix of the five added columns
     * @return the input plus the five prefixed columns
     * @throws UnsupportedOperationException when the stage cannot continue a turn
     */
    default Dataset<Row> continueFrom(Dataset<Row> input, String messagesColumn, String prefixColumn, String seedColumn,
            SamplingParams sampling, String outputPrefix) {
        throw new UnsupportedOperationException("Cannot continue an answer: the stage " + model()
                + " only answers whole prompts (use the Phi-4 stage or a scripted one)");
    }

    /**
     * Splits each row's text into the model's tokens, as text pieces that concatenate back to the text:
     * adds {@code outputColumn}, an {@code array<string>}, null for a null text.
     *
     * @throws UnsupportedOperationException when the stage has no tokenizer
     */
    default Dataset<Row> pieces(Dataset<Row> input, String textColumn, String outputColumn) {
        throw new UnsupportedOperationException("Cannot split text into tokens: the stage " + model()
                + " has no tokenizer (use the Phi-4 stage or a scripted one)");
    }

    /**
     * The identity of the model behind this stage, stored in the {@code model} column and hashed into
     * row ids: a different model must give a different identity.
     */
    String model();
}
