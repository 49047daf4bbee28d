package dev.phi4spark.udf.tokenizer;

import java.io.Serializable;
import java.util.Set;

/**
 * One turn of a conversation.
 *
 * <p>Serializable so that Spark can ship conversations to executors; the role is checked on
 * construction, deserialization included, so a bad role fails where it was made rather than at
 * render time on an executor.
 *
 * @param role {@value #SYSTEM}, {@value #USER} or {@value #ASSISTANT}
 * @param content the turn's text, possibly empty
 */
public record ChatMessage(String role, String content) implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Role of instructions that frame the conversation. */
    public static final String SYSTEM = "system";

    /** Role of the person asking. */
    public static final String USER = "user";

    /** Role of the model's replies. */
    public static final String ASSISTANT = "assistant";

    private static final Set<String> ROLES = Set.of(SYSTEM, USER, ASSISTANT);

    /**
     * Checks the role and content.
     *
     * @throws IllegalArgumentException if the role is not system, user or assistant, or content is
     *     null
     */
    public ChatMessage {
        if (role == null || !ROLES.contains(role)) {
            throw new IllegalArgumentException(
                    "Cannot create chat message: role must be system, user or assistant (" + role + ")");
        }
        if (content == null) {
            throw new IllegalArgumentException(
                    "Cannot create chat message: content is null (role " + role + ")");
        }
    }

    /** A system turn. */
    public static ChatMessage system(String content) {
        return new ChatMessage(SYSTEM, content);
    }

    /** A user turn. */
    public static ChatMessage user(String content) {
        return new ChatMessage(USER, content);
    }

    /** An assistant turn. */
    public static ChatMessage assistant(String content) {
        return new ChatMessage(ASSISTANT, content);
    }
}
