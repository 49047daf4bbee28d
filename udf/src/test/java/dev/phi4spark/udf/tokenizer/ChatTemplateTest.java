package dev.phi4spark.udf.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChatTemplateTest {

    @Test
    void rendersSystemAndUserWithGenerationPrompt() {
        assertThat(ChatTemplate.render("You are a teacher.", "What is 2+2?"))
                .isEqualTo(
                        "<|im_start|>system<|im_sep|>You are a teacher.<|im_end|>"
                                + "<|im_start|>user<|im_sep|>What is 2+2?<|im_end|>"
                                + "<|im_start|>assistant<|im_sep|>");
    }

    @Test
    void rendersUserOnlyWhenSystemPromptIsNull() {
        assertThat(ChatTemplate.render(null, "Hi"))
                .isEqualTo("<|im_start|>user<|im_sep|>Hi<|im_end|><|im_start|>assistant<|im_sep|>");
    }

    @Test
    void rendersMultiTurnHistoryWithAssistantTurn() {
        List<ChatMessage> chat =
                List.of(
                        ChatMessage.system("Be brief."),
                        ChatMessage.user("Capital of France?"),
                        ChatMessage.assistant("Paris."),
                        ChatMessage.user("And of Italy?"));

        assertThat(ChatTemplate.render(chat, true))
                .isEqualTo(
                        "<|im_start|>system<|im_sep|>Be brief.<|im_end|>"
                                + "<|im_start|>user<|im_sep|>Capital of France?<|im_end|>"
                                + "<|im_start|>assistant<|im_sep|>Paris.<|im_end|>"
                                + "<|im_start|>user<|im_sep|>And of Italy?<|im_end|>"
                                + "<|im_start|>assistant<|im_sep|>");
    }

    @Test
    void leavesGenerationPromptOutWhenNotAsked() {
        List<ChatMessage> chat = List.of(ChatMessage.user("Q"), ChatMessage.assistant("A"));

        assertThat(ChatTemplate.render(chat, false))
                .isEqualTo(
                        "<|im_start|>user<|im_sep|>Q<|im_end|><|im_start|>assistant<|im_sep|>A<|im_end|>");
    }

    @Test
    void keepsContentVerbatimIncludingNewlines() {
        assertThat(ChatTemplate.render(null, "line 1\nline 2\n"))
                .isEqualTo(
                        "<|im_start|>user<|im_sep|>line 1\nline 2\n<|im_end|><|im_start|>assistant<|im_sep|>");
    }

    @Test
    void rejectsUnknownRole() {
        assertThatThrownBy(() -> new ChatMessage("tool", "x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Cannot create chat message: role must be system, user or assistant (tool)");
    }

    @Test
    void rejectsRoleInWrongCase() {
        assertThatThrownBy(() -> new ChatMessage("User", "x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("(User)");
    }

    @Test
    void rejectsNullContent() {
        assertThatThrownBy(() -> ChatMessage.user(null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Cannot create chat message: content is null (role user)");
    }

    @Test
    void rejectsEmptyConversation() {
        assertThatThrownBy(() -> ChatTemplate.render(List.of(), true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Cannot render chat: no messages (0)");
    }

    @Test
    void messageSurvivesJavaSerialization() throws Exception {
        ChatMessage message = ChatMessage.assistant("Paris.");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(message);
        }
        try (ObjectInputStream in =
                new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            assertThat(in.readObject()).isEqualTo(message);
        }
    }
}
