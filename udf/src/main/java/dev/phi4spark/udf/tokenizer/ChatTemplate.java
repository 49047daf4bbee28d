package dev.phi4spark.udf.tokenizer;

import static dev.phi4spark.udf.tokenizer.Phi4SpecialTokens.IM_END;
import static dev.phi4spark.udf.tokenizer.Phi4SpecialTokens.IM_SEP;
import static dev.phi4spark.udf.tokenizer.Phi4SpecialTokens.IM_START;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Phi-4's chat format: {@code <|im_start|>role<|im_sep|>content<|im_end|>} per turn, with no
 * newlines between parts, and {@code <|im_start|>assistant<|im_sep|>} as the generation prompt.
 *
 * <p>This is the Jinja chat_template of Phi-4's tokenizer_config.json written out in Java, because
 * the JVM side has no Jinja engine. Content is inserted verbatim: a special-token string inside it
 * will encode as that special token, exactly as with Hugging Face's apply_chat_template.
 */
public final class ChatTemplate {

    /** The open assistant turn the model completes. */
    public static final String GENERATION_PROMPT = IM_START + ChatMessage.ASSISTANT + IM_SEP;

    private ChatTemplate() {}

    /**
     * Renders a conversation.
     *
     * @param messages turns, oldest first; at least one
     * @param addGenerationPrompt whether to append {@link #GENERATION_PROMPT}
     * @return the prompt text, special tokens spelled out
     * @throws IllegalArgumentException if {@code messages} is empty or holds null
     */
    public static String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        Objects.requireNonNull(messages, "messages");
        if (messages.isEmpty()) {
            throw new IllegalArgumentException("Cannot render chat: no messages (0)");
        }
        StringBuilder prompt = new StringBuilder();
        for (int i = 0; i < messages.size(); i++) {
            appendTurn(prompt, messages.get(i), i);
        }
        if (addGenerationPrompt) {
            prompt.append(GENERATION_PROMPT);
        }
        return prompt.toString();
    }

    /**
     * Renders a single-question prompt ending with the generation prompt.
     *
     * @param systemPrompt system turn, or {@code null} for none
     * @param user the user's message
     * @return the prompt text
     */
    public static String render(String systemPrompt, String user) {
        List<ChatMessage> messages = new ArrayList<>(2);
        if (systemPrompt != null) {
            messages.add(ChatMessage.system(systemPrompt));
        }
        messages.add(ChatMessage.user(user));
        return render(messages, true);
    }

    private static void appendTurn(StringBuilder prompt, ChatMessage message, int index) {
        if (message == null) {
            throw new IllegalArgumentException(
                    "Cannot render chat: message is null (index " + index + ")");
        }
        prompt
                .append(IM_START)
                .append(message.role())
                .append(IM_SEP)
                .append(message.content())
                .append(IM_END);
    }
}
