package dev.phi4spark.datagen.stage;

import dev.phi4spark.udf.tokenizer.ChatMessage;
import java.io.Serializable;
import java.util.List;

/**
 * The script of a {@link ScriptedGenerationStage}: the text to answer a prompt with. Runs on the
 * executors, so it must be serializable and capture only serializable values; a thrown exception
 * becomes that row's error, as a failing model call would.
 */
@FunctionalInterface
public interface Responder extends Serializable {

    /**
     * The completion of one call.
     *
     * @param step the call's output prefix without its trailing underscore, for example {@code draft}
     * @param messages the prompt
     * @param seed the call's seed
     * @return the completion, before stop strings and the token budget are applied
     */
    String respond(String step, List<ChatMessage> messages, long seed);
}
