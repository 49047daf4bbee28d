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
 * the JVM side has no Jinja engine. {@link #pieces} is what the model sees: the template's markers
 * as control pieces and roles and contents as text pieces, which {@link Phi4Tokenizer#encodeChat}
 * encodes as plain text, so a special-token string inside a message stays text (unlike Hugging
 * Face's apply_chat_template followed by a default encode). {@link #render} spells the same prompt
 * out as one string, for display and for seeding.
 */
public final class ChatTemplate {

    /** The open assistant turn the model completes. */
    public static final String GENERATION_PROMPT = IM_START + ChatMessage.ASSISTANT + IM_SEP;

    private ChatTemplate() {}

    /**
     * A piece of a rendered prompt.
     *
     * @param text a special token's name when {@code control}, otherwise text to encode as plain text
     * @param control whether this is one of the template's markers
     */
    public record Piece(String text, boolean control) {}

    /**
     * The rendered conversation as pieces, in order; concatenating their texts gives {@link
     * #render(List, boolean)}.
     *
     * @param messages turns, oldest first; at least one
     * @param addGenerationPrompt whether to end with an open assistant turn
     * @return markers and texts; empty texts are left out
     * @throws IllegalArgumentException if {@code messages} is empty or holds null
     */
    public static List<Piece> pieces(List<ChatMessage> messages, boolean addGenerationPrompt) {
        checkMessages(messages);
        List<Piece> pieces = new ArrayList<>(messages.size() * 5 + 3);
        for (int i = 0; i < messages.size(); i++) {
            ChatMessage message = checkMessage(messages.get(i), i);
            addTurn(pieces, message.role(), message.content(), true);
        }
        if (addGenerationPrompt) {
            addTurn(pieces, ChatMessage.ASSISTANT, "", false);
        }
        return pieces;
    }

    private static void addTurn(List<Piece> pieces, String role, String content, boolean close) {
        pieces.add(new Piece(IM_START, true));
        pieces.add(new Piece(role, false));
        pieces.add(new Piece(IM_SEP, true));
        if (!content.isEmpty()) {
            pieces.add(new Piece(content, false));
        }
        if (close) {
            pieces.add(new Piece(IM_END, true));
        }
    }

    private static void checkMessages(List<ChatMessage> messages) {
        Objects.requireNonNull(messages, "messages");
        if (messages.isEmpty()) {
            throw new IllegalArgumentException("Cannot render chat: no messages (0)");
        }
    }

    private static ChatMessage checkMessage(ChatMessage message, int index) {
        if (message == null) {
            throw new IllegalArgumentException(
                    "Cannot render chat: message is null (index " + index + ")");
        }
        return message;
    }

    /**
     * Renders a conversation.
     *
     * @param messages turns, oldest first; at least one
     * @param addGenerationPrompt whether to append {@link #GENERATION_PROMPT}
     * @return the prompt text, special tokens spelled out
     * @throws IllegalArgumentException if {@code messages} is empty or holds null
     */
    public static String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        StringBuilder prompt = new StringBuilder();
        for (Piece piece : pieces(messages, addGenerationPrompt)) {
            prompt.append(piece.text());
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
        return render(question(systemPrompt, user), true);
    }

    /**
     * A single-question conversation.
     *
     * @param systemPrompt system turn, or {@code null} for none
     * @param user the user's message
     * @return the system turn (when given), then the user turn
     */
    public static List<ChatMessage> question(String systemPrompt, String user) {
        List<ChatMessage> messages = new ArrayList<>(2);
        if (systemPrompt != null) {
            messages.add(ChatMessage.system(systemPrompt));
        }
        messages.add(ChatMessage.user(user));
        return messages;
    }
}
