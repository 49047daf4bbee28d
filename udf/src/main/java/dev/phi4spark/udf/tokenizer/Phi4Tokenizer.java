package dev.phi4spark.udf.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Phi-4's tokenizer: the Hugging Face {@code tokenizer.json} of a model snapshot, run by DJL's
 * native tokenizers library, plus the eos/pad settings of {@code tokenizer_config.json}.
 *
 * <p>Encoding never truncates, pads, or adds BOS/EOS: the engine decides lengths and the chat
 * template supplies every marker. {@link #encode(String)} treats its text as plain text: a
 * special-token string in it (for example {@code <|im_end|>} in a scraped web page) becomes ordinary
 * tokens, as with Hugging Face's {@code split_special_tokens=True}, so a document can never close a
 * chat turn or write the assistant's answer. Only {@link #encodeChat} (the chat template) and
 * {@link #encodeWithControlTokens} (text the caller wrote, such as its own template) produce
 * special-token ids.
 *
 * <p>Thread-safe: Spark task threads may encode and decode concurrently. {@link #close()} waits for
 * calls in progress, and later calls fail with {@link IllegalStateException}, so the native handle
 * is never used after it is freed.
 */
public final class Phi4Tokenizer implements AutoCloseable {

    private static final Map<String, String> DJL_OPTIONS =
            Map.of(
                    "addSpecialTokens", "false",
                    "truncation", "false",
                    "padding", "false",
                    "withOverflowingTokens", "false");

    private final HuggingFaceTokenizer tokenizer;
    /** The same tokenizer without its special added tokens: plain text never yields their ids. */
    private final HuggingFaceTokenizer plainTokenizer;
    private final TokenizerFiles.Vocabulary vocabulary;
    private final BitSet specialIds;
    private final long[] eosTokenIds;
    private final OptionalLong padTokenId;
    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    private boolean closed;

    private Phi4Tokenizer(
            HuggingFaceTokenizer tokenizer,
            HuggingFaceTokenizer plainTokenizer,
            TokenizerFiles.Vocabulary vocabulary,
            long[] eosTokenIds,
            OptionalLong padTokenId) {
        this.tokenizer = tokenizer;
        this.plainTokenizer = plainTokenizer;
        this.vocabulary = vocabulary;
        this.specialIds = new BitSet();
        vocabulary.specialIds().forEach(id -> specialIds.set(Math.toIntExact(id)));
        this.eosTokenIds = eosTokenIds;
        this.padTokenId = padTokenId;
    }

    /**
     * Loads the tokenizer of a Hugging Face snapshot directory.
     *
     * <p>Reads {@code tokenizer.json} (required), {@code tokenizer_config.json} (optional: eos_token,
     * pad_token) and {@code generation_config.json} (optional: extra eos_token_id values). Without an
     * eos_token in tokenizer_config, {@code <|im_end|>} is the end-of-sequence token when the
     * vocabulary has it, since that is where Phi-4 ends a turn.
     *
     * @param snapshotDir directory holding the tokenizer files
     * @return the tokenizer; close it to free the native memory
     * @throws IllegalArgumentException if tokenizer.json is missing or malformed, or a configured
     *     special token is not in the vocabulary
     * @throws UncheckedIOException if a file cannot be read
     */
    public static Phi4Tokenizer load(Path snapshotDir) {
        Objects.requireNonNull(snapshotDir, "snapshotDir");
        Path tokenizerJson = snapshotDir.resolve(TokenizerFiles.TOKENIZER_JSON);
        if (!Files.isRegularFile(tokenizerJson)) {
            throw new IllegalArgumentException(
                    "Cannot load tokenizer: tokenizer.json is missing in " + snapshotDir.toAbsolutePath());
        }
        TokenizerFiles.Vocabulary vocabulary = TokenizerFiles.readVocabulary(tokenizerJson);
        TokenizerFiles.Config config =
                TokenizerFiles.readConfig(snapshotDir.resolve(TokenizerFiles.TOKENIZER_CONFIG_JSON));
        long[] eos = eosIds(vocabulary, config, snapshotDir);
        OptionalLong pad = optionalId(vocabulary, "pad_token", config.padToken());
        HuggingFaceTokenizer full = openNative(tokenizerJson);
        try {
            return new Phi4Tokenizer(full, openPlain(tokenizerJson), vocabulary, eos, pad);
        } catch (RuntimeException e) {
            full.close();
            throw e;
        }
    }

    /**
     * Encodes plain text to token ids: documents, seeds, user questions, anything not written by the
     * caller as a prompt template.
     *
     * <p>Special-token strings in the text become ordinary tokens (the ids of their characters), as
     * Hugging Face's {@code split_special_tokens=True} does, so that untrusted text cannot inject
     * control tokens. Unpaired UTF-16 surrogates, which have no UTF-8 form, are replaced by U+FFFD
     * first; all other text, control characters included, is encoded as is.
     *
     * @param text any text
     * @return the ids, none of them a special token; never truncated
     */
    public long[] encode(String text) {
        Objects.requireNonNull(text, "text");
        String clean = Utf16.replaceLoneSurrogates(text);
        long[] ids = withNative("encode", () -> plainTokenizer.encode(clean, false, false).getIds());
        for (long id : ids) {
            // A vocabulary whose regular tokens spell a special token's id would defeat the split.
            if (specialIds.get((int) id)) {
                throw new IllegalStateException(
                        "Cannot encode: plain text produced the special token " + tokenText(id)
                                + " (the tokenizer's regular vocabulary contains it)");
            }
        }
        return ids;
    }

    /**
     * Encodes text the caller wrote as a prompt, in which special-token strings stand for their
     * single ids (Hugging Face's default). Never pass untrusted text here: use {@link
     * #encodeChat} with the text as a message's content, or {@link #encode(String)}.
     *
     * @param prompt a rendered prompt, for example the caller's own chat template
     * @return the ids, with special-token strings as single ids
     */
    public long[] encodeWithControlTokens(String prompt) {
        Objects.requireNonNull(prompt, "prompt");
        String clean = Utf16.replaceLoneSurrogates(prompt);
        return withNative("encode", () -> tokenizer.encode(clean, false, false).getIds());
    }

    /**
     * Renders a conversation with {@link ChatTemplate} and encodes it: the template's markers become
     * their special-token ids, and roles and contents are encoded as plain text ({@link
     * #encode(String)}), so a message cannot close its turn or open another.
     *
     * <p>For trusted content the ids equal those of encoding the rendered text with {@link
     * #encodeWithControlTokens}, since special tokens split the text into independently encoded
     * pieces there too.
     *
     * @param messages the conversation, oldest first
     * @param addGenerationPrompt whether to end with an open assistant turn for the model to complete
     * @return the ids of the rendered prompt
     * @throws IllegalStateException if the vocabulary lacks one of the template's special tokens
     */
    public long[] encodeChat(List<ChatMessage> messages, boolean addGenerationPrompt) {
        List<ChatTemplate.Piece> pieces = ChatTemplate.pieces(messages, addGenerationPrompt);
        List<long[]> parts = new ArrayList<>(pieces.size());
        int length = 0;
        for (ChatTemplate.Piece piece : pieces) {
            long[] ids = piece.control() ? new long[] {controlId(piece.text())} : encode(piece.text());
            parts.add(ids);
            length += ids.length;
        }
        long[] all = new long[length];
        int at = 0;
        for (long[] part : parts) {
            System.arraycopy(part, 0, all, at, part.length);
            at += part.length;
        }
        return all;
    }

    /**
     * A conversation with its assistant turn opened and already begun: {@link #encodeChat} with the
     * generation prompt, then {@code prefix} encoded as plain text, so the start of an answer (a model's
     * earlier output, which may quote untrusted text) cannot close the turn either. For trusted text the
     * ids equal those of the rendered conversation with the prefix appended, encoded with
     * {@link #encodeWithControlTokens}.
     *
     * @param messages the conversation before the answer, oldest first
     * @param prefix the start of the assistant's answer; null or empty for none
     * @return the ids of the prompt the model continues
     */
    public long[] encodeContinuation(List<ChatMessage> messages, String prefix) {
        long[] chat = encodeChat(messages, true);
        if (prefix == null || prefix.isEmpty()) {
            return chat;
        }
        long[] tail = encode(prefix);
        long[] all = Arrays.copyOf(chat, chat.length + tail.length);
        System.arraycopy(tail, 0, all, chat.length, tail.length);
        return all;
    }

    private long controlId(String token) {
        Long id = vocabulary.ids().get(token);
        if (id == null) {
            throw new IllegalStateException(
                    "Cannot encode chat: the tokenizer has no " + token + " token (" + vocabSize()
                            + " tokens)");
        }
        return id;
    }

    /**
     * Decodes token ids to text.
     *
     * <p>Byte-level tokens that stop in the middle of a UTF-8 character decode to U+FFFD, so a
     * partial generation decodes without error.
     *
     * @param ids token ids, each in {@code [0, vocabSize())}
     * @param skipSpecialTokens whether to leave special tokens such as {@code <|im_end|>} out
     * @return the text
     * @throws IllegalArgumentException if an id is out of range
     */
    public String decode(long[] ids, boolean skipSpecialTokens) {
        Objects.requireNonNull(ids, "ids");
        for (long id : ids) {
            requireInRange("decode", id);
        }
        return withNative("decode", () -> tokenizer.decode(ids, skipSpecialTokens));
    }

    /**
     * Looks up the id of a vocabulary entry.
     *
     * @param token a special token such as {@code <|im_end|>}, or a regular token in its vocabulary
     *     form (byte-level: a leading space is {@code Ġ}, so " the" is {@code "Ġthe"})
     * @return its id, or empty if the vocabulary has no such entry
     */
    public OptionalLong tokenId(String token) {
        Long id = vocabulary.ids().get(token);
        return id == null ? OptionalLong.empty() : OptionalLong.of(id);
    }

    /**
     * The vocabulary entry of an id, in its raw form (byte-level symbols, not decoded text).
     *
     * @param id token id
     * @return the entry
     * @throws IllegalArgumentException if the id is out of range or unused
     */
    public String tokenText(long id) {
        requireInRange("look up token", id);
        String token = vocabulary.tokens()[(int) id];
        if (token == null) {
            throw new IllegalArgumentException("Cannot look up token: no token has this id (" + id + ")");
        }
        return token;
    }

    /** Whether {@code id} is an added token marked special, such as {@code <|im_end|>}. */
    public boolean isSpecial(long id) {
        return vocabulary.specialIds().contains(id);
    }

    /**
     * Ids that end generation: tokenizer_config's eos_token, then generation_config's eos_token_id
     * values, without duplicates.
     *
     * @return a fresh copy; may be empty when neither file names one and {@code <|im_end|>} is absent
     */
    public long[] eosTokenIds() {
        return eosTokenIds.clone();
    }

    /** The id of tokenizer_config's pad_token, or empty when it names none. */
    public OptionalLong padTokenId() {
        return padTokenId;
    }

    /**
     * Number of ids: the highest id of any regular or added token, plus one. A model's embedding
     * table needs at least this many rows.
     */
    public int vocabSize() {
        return vocabulary.tokens().length;
    }

    /** Frees the native tokenizer after calls in progress finish; later calls fail. Idempotent. */
    @Override
    public void close() {
        Lock write = lock.writeLock();
        write.lock();
        try {
            if (!closed) {
                closed = true;
                tokenizer.close();
                plainTokenizer.close();
            }
        } finally {
            write.unlock();
        }
    }

    private interface NativeCall<T> {
        T call();
    }

    /** Runs a native call under the read lock, so close() cannot free the handle mid-call. */
    private <T> T withNative(String action, NativeCall<T> call) {
        Lock read = lock.readLock();
        read.lock();
        try {
            if (closed) {
                throw new IllegalStateException("Cannot " + action + ": the tokenizer is closed");
            }
            return call.call();
        } finally {
            read.unlock();
        }
    }

    private void requireInRange(String action, long id) {
        if (id < 0 || id >= vocabSize()) {
            throw new IllegalArgumentException(
                    "Cannot " + action + ": token id outside [0, " + vocabSize() + ") (" + id + ")");
        }
    }

    private static HuggingFaceTokenizer openNative(Path tokenizerJson) {
        // Never hand DJL the tokenizer_config.json: it would apply clean_up_tokenization_spaces, which
        // rewrites decoded text (" n't" to "n't") and breaks round trips, and its parser rejects the
        // {"content": ...} form of token fields. We read that file ourselves.
        try (InputStream in = Files.newInputStream(tokenizerJson)) {
            return HuggingFaceTokenizer.newInstance(in, DJL_OPTIONS);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "Cannot load tokenizer: unreadable file (" + tokenizerJson + ")", e);
        }
    }

    /**
     * The tokenizer with the special entries of added_tokens removed, so its added-vocabulary pass no
     * longer matches them and their strings go through the pre-tokenizer and BPE like any text: what
     * Hugging Face's {@code encode_special_tokens} switch does, which DJL does not expose.
     */
    private static HuggingFaceTokenizer openPlain(Path tokenizerJson) {
        try {
            ObjectNode root = (ObjectNode) TokenizerFiles.readTree(tokenizerJson);
            ArrayNode kept = root.arrayNode();
            for (JsonNode added : root.path("added_tokens")) {
                if (!added.path("special").asBoolean(false)) {
                    kept.add(added);
                }
            }
            root.set("added_tokens", kept);
            byte[] json = TokenizerFiles.writeBytes(root);
            return HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(json), DJL_OPTIONS);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "Cannot load tokenizer: unreadable file (" + tokenizerJson + ")", e);
        }
    }

    private static long[] eosIds(
            TokenizerFiles.Vocabulary vocabulary, TokenizerFiles.Config config, Path snapshotDir) {
        Optional<String> eosName =
                config
                        .eosToken()
                        .or(() -> Optional.of(Phi4SpecialTokens.IM_END).filter(vocabulary.ids()::containsKey));
        Set<Long> ids = new LinkedHashSet<>();
        optionalId(vocabulary, "eos_token", eosName).ifPresent(ids::add);
        Path generationConfig = snapshotDir.resolve(TokenizerFiles.GENERATION_CONFIG_JSON);
        for (long id : TokenizerFiles.readGenerationEosIds(generationConfig)) {
            if (id < 0 || id >= vocabulary.tokens().length) {
                throw new IllegalArgumentException(
                        "Cannot load tokenizer: generation_config.json's eos_token_id is outside the"
                                + " vocabulary ("
                                + id
                                + ")");
            }
            ids.add(id);
        }
        return ids.stream().mapToLong(Long::longValue).toArray();
    }

    private static OptionalLong optionalId(
            TokenizerFiles.Vocabulary vocabulary, String field, Optional<String> name) {
        if (name.isEmpty()) {
            return OptionalLong.empty();
        }
        Long id = vocabulary.ids().get(name.get());
        if (id == null) {
            throw new IllegalArgumentException(
                    "Cannot load tokenizer: tokenizer_config.json's "
                            + field
                            + " is not in the vocabulary ("
                            + name.get()
                            + ")");
        }
        return OptionalLong.of(id);
    }
}
