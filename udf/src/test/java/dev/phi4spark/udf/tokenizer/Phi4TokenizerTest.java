package dev.phi4spark.udf.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading rules, error messages and robustness, on the tiny tokenizer. */
class Phi4TokenizerTest {

    @TempDir static Path tiny;
    static TinyTokenizerInfo info;
    static Phi4Tokenizer tokenizer;

    @BeforeAll
    static void writeAndLoad() {
        info = TinyTokenizerWriter.write(tiny);
        tokenizer = Phi4Tokenizer.load(tiny);
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    @Test
    void missingTokenizerJsonIsReportedClearly(@TempDir Path empty) {
        assertThatThrownBy(() -> Phi4Tokenizer.load(empty))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "Cannot load tokenizer: tokenizer.json is missing in " + empty.toAbsolutePath());
    }

    @Test
    void malformedTokenizerJsonIsReportedClearly(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("tokenizer.json"), "{not json");

        assertThatThrownBy(() -> Phi4Tokenizer.load(dir))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "Cannot load tokenizer: malformed JSON (" + dir.resolve("tokenizer.json") + ")");
    }

    @Test
    void loneSurrogatesBecomeReplacementCharacters() {
        String text = "a\uD800b\uDC00c\uD83D";

        long[] ids = tokenizer.encode(text);

        assertThat(tokenizer.decode(ids, false)).isEqualTo("a\uFFFDb\uFFFDc\uFFFD");
    }

    @Test
    void pairedSurrogatesAreLeftAlone() {
        assertThat(Utf16.replaceLoneSurrogates("x😀y")).isSameAs("x😀y").isEqualTo("x\uD83D\uDE00y");
        assertThat(Utf16.replaceLoneSurrogates("\uDE00\uD83D")).isEqualTo("\uFFFD\uFFFD");
    }

    @Test
    void controlCharactersRoundTrip() {
        String text =
                "nul\u0000 bell\u0007 esc\u001B del\u007F c1\u0085 bom\uFEFF zwj\u200D rtl\u202E end";

        assertThat(tokenizer.decode(tokenizer.encode(text), false)).isEqualTo(text);
    }

    @Test
    void decodingHalfOfAUtf8CharacterYieldsReplacementCharacter() {
        long[] euro = tokenizer.encode("€");
        assertThat(euro).hasSize(3); // one byte-level token per UTF-8 byte: no merge covers it

        assertThat(tokenizer.decode(new long[] {euro[0], euro[1]}, false)).isEqualTo("\uFFFD");
    }

    @Test
    void decodeRejectsIdsOutsideTheVocabulary() {
        assertThatThrownBy(() -> tokenizer.decode(new long[] {1, info.vocabSize()}, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "Cannot decode: token id outside [0, "
                                + info.vocabSize()
                                + ") ("
                                + info.vocabSize()
                                + ")");
        assertThatThrownBy(() -> tokenizer.decode(new long[] {-1}, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageEndingWith("(-1)");
    }

    @Test
    void tokenTextRejectsUnknownIds() {
        assertThatThrownBy(() -> tokenizer.tokenText(info.vocabSize()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("Cannot look up token: token id outside");
    }

    @Test
    void concurrentEncodeAndDecodeAgreeWithSequentialResults() throws Exception {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            texts.add("Question " + i + ": why is the sky blue? " + "é😀中".repeat(i % 7));
        }
        List<long[]> expected = texts.stream().map(tokenizer::encode).toList();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int round = 0; round < 5; round++) {
                for (int i = 0; i < texts.size(); i++) {
                    int n = i;
                    results.add(pool.submit(() -> sameEncoding(texts.get(n), expected.get(n))));
                }
            }
            for (Future<Boolean> result : results) {
                assertThat(result.get()).isTrue();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static boolean sameEncoding(String text, long[] expected) {
        long[] ids = tokenizer.encode(text);
        return Arrays.equals(ids, expected) && tokenizer.decode(ids, false).equals(text);
    }

    @Test
    void callsAfterCloseFailClearly() {
        Phi4Tokenizer closed = Phi4Tokenizer.load(tiny);
        closed.close();
        closed.close();

        assertThatThrownBy(() -> closed.encode("x"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("Cannot encode: the tokenizer is closed");
    }

    @Test
    void withoutTokenizerConfigEosFallsBackToImEndAndThereIsNoPad(@TempDir Path dir)
            throws Exception {
        copy(TinyTokenizerWriter.TOKENIZER_JSON, dir);

        try (Phi4Tokenizer bare = Phi4Tokenizer.load(dir)) {
            assertThat(bare.eosTokenIds()).containsExactly(info.eosTokenId());
            assertThat(bare.padTokenId()).isEmpty();
        }
    }

    @Test
    void tokenNamesMayBeAddedTokenObjectsAndGenerationConfigAddsEosIds(@TempDir Path dir)
            throws Exception {
        copy(TinyTokenizerWriter.TOKENIZER_JSON, dir);
        write(
                dir,
                "tokenizer_config.json",
                "{\"eos_token\": {\"content\": \"<|endoftext|>\", \"special\": true}, \"pad_token\":"
                        + " null}");
        long imEnd = info.eosTokenId();
        write(dir, "generation_config.json", "{\"eos_token_id\": [" + imEnd + ", 7]}");
        long endOfText = info.specialTokenIds().get(Phi4SpecialTokens.END_OF_TEXT);

        try (Phi4Tokenizer custom = Phi4Tokenizer.load(dir)) {
            assertThat(custom.eosTokenIds()).containsExactly(endOfText, imEnd, 7L);
            assertThat(custom.padTokenId()).isEmpty();
        }
    }

    @Test
    void eosTokenOutsideTheVocabularyIsReportedClearly(@TempDir Path dir) throws Exception {
        copy(TinyTokenizerWriter.TOKENIZER_JSON, dir);
        write(dir, "tokenizer_config.json", "{\"eos_token\": \"</s>\"}");

        assertThatThrownBy(() -> Phi4Tokenizer.load(dir))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "Cannot load tokenizer: tokenizer_config.json's eos_token is not in the vocabulary"
                                + " (</s>)");
    }

    @Test
    void generationConfigEosIdOutsideTheVocabularyIsReportedClearly(@TempDir Path dir)
            throws Exception {
        copy(TinyTokenizerWriter.TOKENIZER_JSON, dir);
        write(dir, "generation_config.json", "{\"eos_token_id\": 100265}");

        assertThatThrownBy(() -> Phi4Tokenizer.load(dir))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "Cannot load tokenizer: generation_config.json's eos_token_id is outside the"
                                + " vocabulary (100265)");
    }

    @Test
    void cleanUpTokenizationSpacesInConfigDoesNotAlterDecoding(@TempDir Path dir) throws Exception {
        copy(TinyTokenizerWriter.TOKENIZER_JSON, dir);
        write(
                dir,
                "tokenizer_config.json",
                "{\"clean_up_tokenization_spaces\": true, \"eos_token\": \"<|im_end|>\"}");
        String text = "it 's fine , is n't it ?";

        try (Phi4Tokenizer custom = Phi4Tokenizer.load(dir)) {
            assertThat(custom.decode(custom.encode(text), false)).isEqualTo(text);
        }
    }

    private static void copy(String file, Path dir) throws Exception {
        Files.copy(tiny.resolve(file), dir.resolve(file));
    }

    private static void write(Path dir, String file, String json) throws Exception {
        Files.write(dir.resolve(file), json.getBytes(StandardCharsets.UTF_8));
    }
}
