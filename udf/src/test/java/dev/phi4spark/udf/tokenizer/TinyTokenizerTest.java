package dev.phi4spark.udf.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The tiny tokenizer, written to disk and loaded through DJL like a real snapshot. */
class TinyTokenizerTest {

    @TempDir static Path dir;
    static TinyTokenizerInfo info;
    static Phi4Tokenizer tokenizer;

    @BeforeAll
    static void writeAndLoad() {
        info = TinyTokenizerWriter.write(dir);
        tokenizer = Phi4Tokenizer.load(dir);
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    @Test
    void vocabularyHasAboutFiveHundredRegularTokensThenTheSpecials() {
        assertThat(info.regularVocabSize()).isEqualTo(TinyTokenizerWriter.REGULAR_VOCAB_TARGET);
        assertThat(info.vocabSize()).isEqualTo(info.regularVocabSize() + Phi4SpecialTokens.ALL.size());
        assertThat(tokenizer.vocabSize()).isEqualTo(info.vocabSize());
        for (String special : Phi4SpecialTokens.ALL) {
            assertThat(tokenizer.tokenId(special)).hasValue(info.specialTokenIds().get(special));
            assertThat(info.specialTokenIds().get(special))
                    .isGreaterThanOrEqualTo(info.regularVocabSize());
        }
    }

    @Test
    void eosAndPadComeFromTokenizerConfig() {
        assertThat(tokenizer.eosTokenIds()).containsExactly(info.eosTokenId());
        assertThat(tokenizer.tokenText(info.eosTokenId())).isEqualTo("<|im_end|>");
        assertThat(tokenizer.padTokenId()).hasValue(info.padTokenId());
        assertThat(tokenizer.tokenText(info.padTokenId())).isEqualTo("<|dummy_85|>");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "Hello, world! The water cycle moves water around the planet.",
                "  leading and trailing spaces  ",
                "tabs\tand\nnewlines\r\n",
                "don't , isn't . it 's",
                "Café crème brûlée, naïve façade, Ærøskøbing",
                "中文分词测试，日本語のテキスト、한국어",
                "emoji 😀👍🏽 and 👨‍👩‍👧 family",
                "math: ∑ x² ≤ ∞, 3/4 = 0.75"
            })
    void decodeOfEncodeIsIdentity(String text) {
        long[] ids = tokenizer.encode(text);

        assertThat(tokenizer.decode(ids, false)).isEqualTo(text);
        assertThat(tokenizer.decode(ids, true)).isEqualTo(text);
    }

    @Test
    void learnedMergesCompressEnglish() {
        String text = "The water cycle describes how water moves between the oceans.";

        assertThat(tokenizer.encode(text).length).isLessThan(text.length() / 2);
    }

    @Test
    void eachSpecialTokenEncodesToExactlyOneId() {
        for (String special : Phi4SpecialTokens.ALL) {
            assertThat(tokenizer.encodeWithControlTokens(special))
                    .as(special)
                    .containsExactly(tokenizer.tokenId(special).orElseThrow());
        }
    }

    @Test
    void renderedChatHasSpecialTokensAsSingleIdsInPlace() {
        long imStart = id(Phi4SpecialTokens.IM_START);
        long imSep = id(Phi4SpecialTokens.IM_SEP);
        long imEnd = id(Phi4SpecialTokens.IM_END);
        long[] system = tokenizer.encode("system");
        long[] user = tokenizer.encode("user");
        long[] assistant = tokenizer.encode("assistant");
        long[] question = tokenizer.encode("Why is the sky blue?");
        long[] rules = tokenizer.encode("Answer briefly.");

        long[] ids =
                tokenizer.encodeChat(
                        List.of(
                                ChatMessage.system("Answer briefly."), ChatMessage.user("Why is the sky blue?")),
                        true);

        assertThat(ids)
                .containsExactly(
                        concat(
                                new long[] {imStart},
                                system,
                                new long[] {imSep},
                                rules,
                                new long[] {imEnd, imStart},
                                user,
                                new long[] {imSep},
                                question,
                                new long[] {imEnd, imStart},
                                assistant,
                                new long[] {imSep}));
    }

    @Test
    void decodeCanSkipSpecialTokens() {
        long[] ids = tokenizer.encodeWithControlTokens(ChatTemplate.render(null, "Hi"));

        assertThat(tokenizer.decode(ids, true)).isEqualTo("userHiassistant");
        assertThat(tokenizer.decode(ids, false)).isEqualTo(ChatTemplate.render(null, "Hi"));
    }

    @Test
    void longTextIsNotTruncated() {
        String text = "The quick brown fox jumps over the lazy dog 0123456789. ".repeat(200);

        long[] ids = tokenizer.encode(text);

        assertThat(ids.length).isGreaterThan(2000);
        assertThat(tokenizer.decode(ids, false)).isEqualTo(text);
    }

    @Test
    void noBosEosOrPaddingIsAdded() {
        long[] ids = tokenizer.encode("a");

        assertThat(ids).hasSize(1);
        assertThat(tokenizer.isSpecial(ids[0])).isFalse();
        assertThat(tokenizer.encode("")).isEmpty();
    }

    @Test
    void writesTheSameBytesEveryTime(@TempDir Path other) throws Exception {
        TinyTokenizerInfo again = TinyTokenizerWriter.write(other);

        assertThat(again).isEqualTo(info);
        for (String file :
                List.of(TinyTokenizerWriter.TOKENIZER_JSON, TinyTokenizerWriter.TOKENIZER_CONFIG_JSON)) {
            assertThat(Files.readAllBytes(other.resolve(file)))
                    .isEqualTo(Files.readAllBytes(dir.resolve(file)));
        }
    }

    @Test
    void tokenIdKnowsRegularTokensInVocabularyForm() {
        long space = tokenizer.tokenId("\u0120").orElseThrow();

        assertThat(tokenizer.encode(" ")).containsExactly(space);
        assertThat(tokenizer.tokenText(space)).isEqualTo("\u0120");
        assertThat(tokenizer.tokenId("no such token")).isEmpty();
    }

    private static long id(String token) {
        return tokenizer.tokenId(token).orElseThrow();
    }

    private static long[] concat(long[]... parts) {
        return Arrays.stream(parts).flatMapToLong(LongStream::of).toArray();
    }
}
