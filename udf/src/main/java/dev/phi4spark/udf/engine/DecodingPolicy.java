package dev.phi4spark.udf.engine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * When a row may run and when it ends: the prompt checks, the token budget ({@code max_new_tokens} cut
 * to the room left in the context), stop tokens, stop strings, and the finish reason and text of its
 * result. The one policy the generation loop applies to every row.
 */
final class DecodingPolicy {

    private final Set<Long> stopTokens;
    private final TokenDecoder decoder;

    /**
     * @param stopTokens ids that end a row (Phi-4: {@code <|im_end|>}, {@code <|endoftext|>})
     * @param decoder turns ids into text for results and stop strings
     */
    DecodingPolicy(Set<Long> stopTokens, TokenDecoder decoder) {
        this.stopTokens = Set.copyOf(stopTokens);
        this.decoder = decoder;
    }

    /** One row being generated: its request, and the tokens it has so far. */
    static final class Row {
        final int request;
        final long[] prompt;
        final SamplingParams params;
        /** The most tokens the row may generate. */
        final int budget;
        final List<Long> generated = new ArrayList<>();
        /** Prompt tokens copied from a cached prefix rather than prefilled. */
        int cachedTokens;

        private Row(int request, long[] prompt, SamplingParams params, int budget) {
            this.request = request;
            this.prompt = prompt;
            this.params = params;
            this.budget = budget;
        }

        long last() {
            return generated.get(generated.size() - 1);
        }
    }

    /** Request {@code index}'s row, its budget cut to the room a context of {@code context} leaves. */
    Row row(int index, GenerationRequest request, int context) {
        long[] prompt = request.promptIds();
        return new Row(index, prompt, request.params(), Math.min(request.params().maxNewTokens(), context - prompt.length));
    }

    /** An error result for a request that cannot run on a model with {@code config}, or null when it can. */
    GenerationResult check(GenerationRequest request, Phi3Config config) {
        long[] ids = request.promptIds();
        int context = config.maxPositions;
        if (ids == null || ids.length == 0) {
            return GenerationResult.failed(0, new RowError(GenerationResult.EMPTY_PROMPT, "the prompt has no tokens"));
        }
        if (ids.length >= context) {
            return GenerationResult.failed(ids.length, new RowError(GenerationResult.PROMPT_TOO_LONG, "the prompt has "
                    + ids.length + " tokens and the context holds " + context));
        }
        int vocab = config.vocabSize;
        for (long id : ids) {
            if (id < 0 || id >= vocab) {
                return GenerationResult.failed(ids.length, new RowError(GenerationResult.INVALID_TOKEN, "token id " + id
                        + " is outside the vocabulary of " + vocab));
            }
        }
        return null;
    }

    /** The result of a row with no room for any token, or null when it may generate. */
    GenerationResult before(Row row) {
        return row.budget == 0 ? finish(row, FinishReason.LENGTH, null) : null;
    }

    /** Adds a sampled token to a row; the row's result when that ended it, else null. */
    GenerationResult accept(Row row, long token) {
        if (token == Sampler.NON_FINITE) {
            return GenerationResult.failed(row.prompt.length, Sampler.NON_FINITE_ERROR);
        }
        row.generated.add(token);
        if (stopTokens.contains(token)) {
            return finish(row, FinishReason.STOP, null);
        }
        GenerationResult stopped = stopString(row);
        if (stopped != null) {
            return stopped;
        }
        return row.generated.size() >= row.budget ? finish(row, FinishReason.LENGTH, null) : null;
    }

    /** The result cut before the earliest stop string the row's text holds, or null. */
    private GenerationResult stopString(Row row) {
        List<String> stops = row.params.stopStrings();
        if (stops.isEmpty()) {
            return null;
        }
        String text = decoder.decode(ids(row.generated));
        int cut = -1;
        for (String s : stops) {
            int at = text.indexOf(s);
            if (at >= 0 && (cut < 0 || at < cut)) {
                cut = at;
            }
        }
        return cut < 0 ? null : finish(row, FinishReason.STOP, text.substring(0, cut));
    }

    /** The row's result; its text leaves out the stop token, or is {@code cutText} when a stop string cut it. */
    private GenerationResult finish(Row row, FinishReason reason, String cutText) {
        long[] tokens = ids(row.generated);
        String text = cutText;
        if (text == null) {
            boolean stopped = reason == FinishReason.STOP && tokens.length > 0;
            text = decoder.decode(stopped ? Arrays.copyOf(tokens, tokens.length - 1) : tokens);
        }
        return new GenerationResult(tokens, text, reason, row.prompt.length, tokens.length, null, row.cachedTokens);
    }

    private static long[] ids(List<Long> list) {
        long[] out = new long[list.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = list.get(i);
        }
        return out;
    }
}
