package dev.phi4spark.udf.spark;

import dev.phi4spark.udf.engine.GenerationResult;
import dev.phi4spark.udf.engine.RowError;
import dev.phi4spark.udf.tokenizer.ChatMessage;
import dev.phi4spark.udf.tokenizer.ChatTemplate;
import dev.phi4spark.udf.tokenizer.Phi4Tokenizer;
import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;

/**
 * The prompt of an LLM judge: a rubric with a {@value #PLACEHOLDER} placeholder as the user turn, and
 * an assistant turn already begun with {@code assistantPrefix} ("Educational score: ") so that the
 * model's next token is the score digit, whose probabilities are read instead of generating.
 *
 * <p>Documents too long for the context keep their first tokens: the document is cut to the room the
 * rubric and template leave in the context (or to {@code maxDocumentTokens} when that is smaller and
 * positive), decoded back to text, and the prompt re-rendered; cutting again with a margin if the
 * re-encoded prompt still does not fit (BPE merges across the cut). The cut never touches the rubric.
 *
 * @param rubric the user turn, with {@value #PLACEHOLDER} where the document goes
 * @param systemPrompt a system turn, or null
 * @param assistantPrefix text the assistant turn starts with
 * @param maxDocumentTokens most document tokens kept (0: whatever fits the context)
 */
public record JudgePrompt(String rubric, String systemPrompt, String assistantPrefix, int maxDocumentTokens)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Where the document goes in the rubric. */
    public static final String PLACEHOLDER = "{document}";

    /** The candidate answers: the digits 0 to 5. */
    public static final List<String> DIGITS = List.of("0", "1", "2", "3", "4", "5");

    /** Default assistant prefix: the rubric's answer format. */
    public static final String DEFAULT_PREFIX = "Educational score: ";

    /** FineWeb-Edu's additive 5-point educational-value rubric, asking for the score last. */
    public static final String DEFAULT_RUBRIC = """
            Below is an extract from a web page. Evaluate whether the page has a high educational value and \
            could be useful in an educational setting for teaching from primary school to grade school levels \
            using the additive 5-point scoring system described below. Points are accumulated based on the \
            satisfaction of each criterion:
            - Add 1 point if the extract provides some basic information relevant to educational topics, even \
            if it includes some irrelevant or non-academic content like advertisements and promotional material.
            - Add another point if the extract addresses certain elements pertinent to education but does not \
            align closely with educational standards. It might mix educational content with non-educational \
            material, offering a superficial overview of potentially useful topics, or presenting information \
            in a disorganized manner and incoherent writing style.
            - Award a third point if the extract is appropriate for educational use and introduces key concepts \
            relevant to school curricula. It is coherent though it may not be comprehensive or could include \
            some extraneous information. It may resemble an introductory section of a textbook or a basic \
            tutorial that is suitable for learning but has notable limitations like treating concepts that are \
            too complex for grade school students.
            - Grant a fourth point if the extract is highly relevant and beneficial for educational purposes \
            for a level not higher than grade school, exhibiting a clear and consistent writing style. It could \
            be similar to a chapter from a textbook or a tutorial, offering substantial educational content, \
            including exercises and solutions, with minimal irrelevant information, and the concepts aren't too \
            advanced for grade school students. The content is coherent, focused, and valuable for structured \
            learning.
            - Bestow a fifth point if the extract is outstanding in its educational value, perfectly suited for \
            teaching either at primary school or grade school. It follows detailed reasoning, the writing style \
            is easy to follow and offers profound and thorough insights into the subject matter, devoid of any \
            non-educational or complex content.

            The extract:
            {document}

            After examining the extract, give the total score from 0 to 5 using the format: \
            "Educational score: <total points>".""";

    /** Checks the rubric has its placeholder. */
    public JudgePrompt {
        if (rubric == null || !rubric.contains(PLACEHOLDER)) {
            throw new IllegalArgumentException("Cannot judge: the rubric has no " + PLACEHOLDER + " placeholder ("
                    + (rubric == null ? null : abbreviate(rubric)) + ")");
        }
        if (maxDocumentTokens < 0) {
            throw new IllegalArgumentException("Cannot judge: maxDocumentTokens must be >= 0 (" + maxDocumentTokens
                    + ")");
        }
        systemPrompt = systemPrompt == null || systemPrompt.isEmpty() ? null : systemPrompt;
        assistantPrefix = assistantPrefix == null ? "" : assistantPrefix;
    }

    /** The default rubric, no system turn, the default prefix, fit to the context. */
    public static JudgePrompt defaults() {
        return new JudgePrompt(DEFAULT_RUBRIC, null, DEFAULT_PREFIX, 0);
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }

    /** The prompt's text with a document in it, special tokens spelled out (for display). */
    public String render(String document) {
        return ChatTemplate.render(chat(document), true) + assistantPrefix;
    }

    /**
     * The prompt's token ids with a document in it, uncut. The document, rubric and prefix are encoded
     * as plain text, so the only special tokens are the chat template's, whatever the document holds.
     */
    public long[] ids(Phi4Tokenizer tok, String document) {
        long[] chat = tok.encodeChat(chat(document), true);
        long[] prefix = tok.encode(assistantPrefix);
        long[] all = Arrays.copyOf(chat, chat.length + prefix.length);
        System.arraycopy(prefix, 0, all, chat.length, prefix.length);
        return all;
    }

    private List<ChatMessage> chat(String document) {
        return ChatTemplate.question(systemPrompt, rubric.replace(PLACEHOLDER, document));
    }

    /** The ids of the digit tokens 0 to 5, looked up in this tokenizer's vocabulary. */
    public static long[] digitIds(Phi4Tokenizer tok) {
        long[] ids = new long[DIGITS.size()];
        for (int i = 0; i < ids.length; i++) {
            OptionalLong id = tok.tokenId(DIGITS.get(i));
            if (id.isEmpty()) {
                throw new IllegalStateException("Cannot judge: the tokenizer has no token for the digit ("
                        + DIGITS.get(i) + ")");
            }
            ids[i] = id.getAsLong();
        }
        return ids;
    }

    /**
     * The token ids every rendered prompt starts with, whatever the document: the common prefix of two
     * prompts whose documents share no first character. Computed from tokens rather than from the text
     * before the placeholder, since the tokenizer may merge across that boundary.
     */
    public long[] head(Phi4Tokenizer tok) {
        long[] a = ids(tok, "x");
        long[] b = ids(tok, "7");
        int mismatch = Arrays.mismatch(a, b);
        return Arrays.copyOf(a, mismatch < 0 ? Math.min(a.length, b.length) : mismatch);
    }

    /** The values the digits stand for, for the expected score. */
    public static double[] digitValues() {
        return DIGITS.stream().mapToDouble(Double::parseDouble).toArray();
    }

    /**
     * The prompt's token ids with the document cut to fit {@code context} tokens, or an error result when
     * the rubric alone does not fit.
     */
    public Encoded encode(Phi4Tokenizer tok, String document, int context) {
        long[] full = ids(tok, document);
        int docCap = maxDocumentTokens > 0 ? maxDocumentTokens : Integer.MAX_VALUE;
        long[] docIds = null;
        if (full.length <= context && (maxDocumentTokens == 0 || (docIds = tok.encode(document)).length <= docCap)) {
            return new Encoded(full, false, null);
        }
        int overhead = ids(tok, "").length;
        if (overhead >= context) {
            return new Encoded(null, false, new RowError(GenerationResult.PROMPT_TOO_LONG, "the rubric alone has "
                    + overhead + " tokens and the context holds " + context));
        }
        docIds = docIds == null ? tok.encode(document) : docIds;
        int keep = Math.min(docCap, Math.min(docIds.length, context - overhead));
        for (int attempt = 0; attempt < 4 && keep > 0; attempt++) {
            String cut = tok.decode(Arrays.copyOf(docIds, keep), false);
            long[] ids = ids(tok, cut);
            if (ids.length <= context) {
                return new Encoded(ids, true, null);
            }
            keep -= ids.length - context + 8;
        }
        return new Encoded(null, true, new RowError(GenerationResult.PROMPT_TOO_LONG, "cannot cut the document to fit "
                + context + " tokens"));
    }

    /**
     * An encoded judge prompt.
     *
     * @param ids the prompt, null on error
     * @param truncated whether the document was cut
     * @param error null, or why the prompt does not fit
     */
    public record Encoded(long[] ids, boolean truncated, RowError error) {}
}
