package dev.phi4spark.udf.spark;

import dev.phi4spark.udf.engine.GenerationRequest;
import dev.phi4spark.udf.engine.GenerationResult;
import dev.phi4spark.udf.engine.Phi4Engine;
import dev.phi4spark.udf.engine.RowError;
import dev.phi4spark.udf.engine.SamplingField;
import dev.phi4spark.udf.engine.SamplingParams;
import dev.phi4spark.udf.tokenizer.ChatMessage;
import dev.phi4spark.udf.tokenizer.ChatTemplate;
import dev.phi4spark.udf.tokenizer.Phi4Tokenizer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.LongStream;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.StringArrayParam;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Generates a completion for every row with Phi-4.
 *
 * <p>Input: a string column of prompts, rendered with Phi-4's chat template as one user turn (after
 * {@code systemPrompt} when set) unless {@code applyChatTemplate} is false; or a column of chat messages,
 * {@code array<struct<role: string, content: string>>}, rendered as the conversation (the system prompt
 * is put first when the conversation has none). The assistant turn is left open for the model.
 * Prompts and messages are encoded as plain text, so a special-token string in them (such as
 * {@code <|im_end|>}) cannot end a turn; only the template's markers are control tokens. With
 * {@code applyChatTemplate} false the prompt is the caller's own template and its special-token
 * strings do become control tokens: never put untrusted text in such a prompt.
 *
 * <p>With {@code assistantPrefixCol} set, the open assistant turn already holds that column's text
 * (plain text too, {@link Phi4Tokenizer#encodeContinuation}) and the completion is what follows it:
 * the way to continue an answer begun earlier without rendering it into a raw prompt.
 *
 * <p>Seeds: from {@code seedCol} when set and not null; otherwise {@link #rowSeed} of the {@code seed}
 * param and the rendered prompt, so rows get different seeds, the same row always gets the same one,
 * and identical prompts get identical completions (give a seed column to draw several per prompt).
 *
 * <p>Sampling params: one per row of {@link SamplingParams#FIELDS} ({@code maxNewTokens},
 * {@code temperature}, {@code topP}, {@code topK}, {@code repetitionPenalty}, {@code stopStrings},
 * {@code seed}), with its default and doc; {@link #samplingParams()} reads them all,
 * {@link #setSamplingParams} sets them all, {@link #setSampling} sets one.
 *
 * <p>Output columns (names configurable): {@code completion} (null on error), {@code finish_reason}
 * (stop, length, error), {@code prompt_tokens}, {@code completion_tokens}, {@code error}.
 */
public final class Phi4Generator extends Phi4Transformer<Phi4Generator> {

    private static final long serialVersionUID = 1L;

    /** Error code: a conversation whose messages cannot be rendered (a null message, an unknown role). */
    public static final String INVALID_MESSAGES = "invalid_messages";

    private final Param<String> inputCol;
    private final Param<String> systemPrompt;
    private final BooleanParam applyChatTemplate;
    /** One param per sampling field, by field name: made from {@link SamplingParams#FIELDS}, none by hand. */
    private final Map<String, Param<Object>> sampling = new LinkedHashMap<>();
    private final Param<String> seedCol;
    private final Param<String> assistantPrefixCol;
    private final Param<String> outputCol;
    private final Param<String> finishReasonCol;
    private final Param<String> promptTokensCol;
    private final Param<String> completionTokensCol;

    /** A generator with a random uid. */
    public Phi4Generator() {
        this(Identifiable.randomUID("phi4Generator"));
    }

    /** A generator with this uid (used when a Pipeline is loaded). */
    public Phi4Generator(String uid) {
        super(uid);
        inputCol = new Param<>(uid, "inputCol", "prompt column: string, or array<struct<role,content>>");
        systemPrompt = new Param<>(uid, "systemPrompt", "system turn put before each prompt (empty: none)");
        applyChatTemplate = new BooleanParam(uid, "applyChatTemplate", "render string prompts as a chat user turn");
        for (SamplingField<?> f : SamplingParams.FIELDS) {
            Param<Object> p = samplingParam(uid, f);
            sampling.put(f.name(), p);
            setDefault(p, toParamValue(f.defaultValue()));
        }
        seedCol = new Param<>(uid, "seedCol", "optional long/int column of per-row seeds (empty: none)");
        assistantPrefixCol = new Param<>(uid, "assistantPrefixCol",
                "optional string column: the start of the assistant's answer, to continue (empty: none)");
        outputCol = new Param<>(uid, "outputCol", "output column of completions");
        finishReasonCol = new Param<>(uid, "finishReasonCol", "output column of finish reasons");
        promptTokensCol = new Param<>(uid, "promptTokensCol", "output column of prompt token counts");
        completionTokensCol = new Param<>(uid, "completionTokensCol", "output column of generated token counts");
        setDefault(inputCol, "prompt");
        setDefault(systemPrompt, "");
        setDefault(applyChatTemplate, true);
        setDefault(seedCol, "");
        setDefault(assistantPrefixCol, "");
        setDefault(outputCol, "completion");
        setDefault(finishReasonCol, "finish_reason");
        setDefault(promptTokensCol, "prompt_tokens");
        setDefault(completionTokensCol, "completion_tokens");
    }

    /** The Spark param of a sampling field: its type's param class, named {@link SamplingField#javaName()}. */
    @SuppressWarnings("unchecked")
    private Param<Object> samplingParam(String uid, SamplingField<?> f) {
        String name = f.javaName();
        Param<?> p = f.type() == Double.class ? new DoubleParam(uid, name, f.doc())
                : f.type() == Integer.class ? new IntParam(uid, name, f.doc())
                : f.type() == Long.class ? new LongParam(uid, name, f.doc())
                : new StringArrayParam(this, name, f.doc());
        return (Param<Object>) p;
    }

    /** A field's value as its param holds it: a list of strings is an array. */
    private static Object toParamValue(Object value) {
        return value instanceof List<?> l ? l.toArray(new String[0]) : value;
    }

    /** A param's value as its field holds it: an array of strings is a list. */
    private static Object fromParamValue(Object value) {
        return value instanceof String[] a ? Arrays.asList(a) : value;
    }

    /**
     * Spark finds params through public no-arg methods; the sampling params are made from the table, so
     * they are added here too (a new field needs no accessor).
     */
    @Override
    public Param<?>[] params() {
        Map<String, Param<?>> all = new TreeMap<>();
        for (Param<?> p : super.params()) {
            all.put(p.name(), p);
        }
        if (sampling != null) { // null while the superclass constructor runs
            sampling.values().forEach(p -> all.put(p.name(), p));
        }
        return all.values().toArray(new Param<?>[0]);
    }

    /** The param of a sampling field, named {@link SamplingField#javaName()} ({@code stop} is {@code stopStrings}). */
    public Param<Object> param(SamplingField<?> field) {
        Param<Object> p = sampling.get(field.name());
        if (p == null || !SamplingParams.FIELDS.contains(field)) {
            throw new IllegalArgumentException("Cannot find the param of " + field.name() + ": not a sampling field.");
        }
        return p;
    }

    /**
     * Sets a sampling field's param; the value is checked with the others when the generator runs
     * ({@link #samplingParams()}). The named setters below are shortcuts for the fields there were when
     * they were written; a new field needs none.
     */
    public <V> Phi4Generator setSampling(SamplingField<V> field, V value) {
        set(param(field), toParamValue(field.type().cast(value)));
        return this;
    }

    /** Sets every sampling field's param, the seed included, from one value. */
    public Phi4Generator setSamplingParams(SamplingParams params) {
        for (SamplingField<?> f : SamplingParams.FIELDS) {
            set(param(f), toParamValue(f.get(params)));
        }
        return this;
    }

    /** Reads a saved generator (Spark's Pipeline loading calls this). */
    public static MLReader<Phi4Generator> read() {
        return new DefaultParamsReader<>();
    }

    /** Loads a generator saved with {@code write().save(path)}. */
    public static Phi4Generator load(String path) {
        return read().load(path);
    }

    /** Prompt column (default {@code prompt}). */
    public Param<String> inputCol() {
        return inputCol;
    }

    /** System turn put before each prompt; empty (default) for none. */
    public Param<String> systemPrompt() {
        return systemPrompt;
    }

    /** Render string prompts with the chat template (default true); false feeds them raw. */
    public BooleanParam applyChatTemplate() {
        return applyChatTemplate;
    }

    /** Most new tokens per row (default: {@link SamplingParams#DEFAULTS}, 512). */
    public IntParam maxNewTokens() {
        return (IntParam) (Param<?>) param(SamplingParams.MAX_NEW_TOKENS);
    }

    /** Sampling temperature; 0 is greedy (default: {@link SamplingParams#DEFAULTS}, 0.7). */
    public DoubleParam temperature() {
        return (DoubleParam) (Param<?>) param(SamplingParams.TEMPERATURE);
    }

    /** Nucleus mass, 1 is off (default: {@link SamplingParams#DEFAULTS}, 0.95). */
    public DoubleParam topP() {
        return (DoubleParam) (Param<?>) param(SamplingParams.TOP_P);
    }

    /** Top-k (default 0: off). */
    public IntParam topK() {
        return (IntParam) (Param<?>) param(SamplingParams.TOP_K);
    }

    /** Repetition penalty (default 1: off). */
    public DoubleParam repetitionPenalty() {
        return (DoubleParam) (Param<?>) param(SamplingParams.REPETITION_PENALTY);
    }

    /** Stop strings (default none). */
    public StringArrayParam stopStrings() {
        return (StringArrayParam) (Param<?>) param(SamplingParams.STOP);
    }

    /** Base seed (default 0). */
    public LongParam seed() {
        return (LongParam) (Param<?>) param(SamplingParams.SEED);
    }

    /** Per-row seed column; empty (default) derives seeds from {@link #seed()} and the prompt. */
    public Param<String> seedCol() {
        return seedCol;
    }

    /** Completion column (default {@code completion}). */
    public Param<String> outputCol() {
        return outputCol;
    }

    /** Finish reason column (default {@code finish_reason}). */
    public Param<String> finishReasonCol() {
        return finishReasonCol;
    }

    /** Prompt token count column (default {@code prompt_tokens}). */
    public Param<String> promptTokensCol() {
        return promptTokensCol;
    }

    /** Generated token count column (default {@code completion_tokens}). */
    public Param<String> completionTokensCol() {
        return completionTokensCol;
    }

    /** Sets {@link #inputCol()}. */
    public Phi4Generator setInputCol(String v) {
        set(inputCol, v);
        return this;
    }

    /** Sets {@link #systemPrompt()}. */
    public Phi4Generator setSystemPrompt(String v) {
        set(systemPrompt, v == null ? "" : v);
        return this;
    }

    /** Optional string column with the start of each row's answer, which the model continues; empty for none. */
    public Param<String> assistantPrefixCol() {
        return assistantPrefixCol;
    }

    /** Sets {@link #assistantPrefixCol()}. */
    public Phi4Generator setAssistantPrefixCol(String v) {
        set(assistantPrefixCol, v == null ? "" : v);
        return this;
    }

    /** Sets {@link #applyChatTemplate()}. */
    public Phi4Generator setApplyChatTemplate(boolean v) {
        set(applyChatTemplate, v);
        return this;
    }

    /** Sets {@link #maxNewTokens()}. */
    public Phi4Generator setMaxNewTokens(int v) {
        return setSampling(SamplingParams.MAX_NEW_TOKENS, v);
    }

    /** Sets {@link #temperature()}. */
    public Phi4Generator setTemperature(double v) {
        return setSampling(SamplingParams.TEMPERATURE, v);
    }

    /** Sets {@link #topP()}. */
    public Phi4Generator setTopP(double v) {
        return setSampling(SamplingParams.TOP_P, v);
    }

    /** Sets {@link #topK()}. */
    public Phi4Generator setTopK(int v) {
        return setSampling(SamplingParams.TOP_K, v);
    }

    /** Sets {@link #repetitionPenalty()}. */
    public Phi4Generator setRepetitionPenalty(double v) {
        return setSampling(SamplingParams.REPETITION_PENALTY, v);
    }

    /** Sets {@link #stopStrings()}. */
    public Phi4Generator setStopStrings(String... v) {
        return setSampling(SamplingParams.STOP, Arrays.asList(v));
    }

    /** Sets {@link #seed()}. */
    public Phi4Generator setSeed(long v) {
        return setSampling(SamplingParams.SEED, v);
    }

    /** Sets {@link #seedCol()}. */
    public Phi4Generator setSeedCol(String v) {
        set(seedCol, v == null ? "" : v);
        return this;
    }

    /** Sets {@link #outputCol()}. */
    public Phi4Generator setOutputCol(String v) {
        set(outputCol, v);
        return this;
    }

    /** Sets {@link #finishReasonCol()}. */
    public Phi4Generator setFinishReasonCol(String v) {
        set(finishReasonCol, v);
        return this;
    }

    /** Sets {@link #promptTokensCol()}. */
    public Phi4Generator setPromptTokensCol(String v) {
        set(promptTokensCol, v);
        return this;
    }

    /** Sets {@link #completionTokensCol()}. */
    public Phi4Generator setCompletionTokensCol(String v) {
        set(completionTokensCol, v);
        return this;
    }

    /** The sampling params every row uses, its seed aside (checked here, on the driver). */
    public SamplingParams samplingParams() {
        return SamplingParams.of(f -> fromParamValue($(param(f))));
    }

    /**
     * A row's seed when no seed column gives one: the base seed mixed with a 64-bit FNV-1a hash of the
     * rendered prompt through SplitMix64. Stable across JVMs, Spark versions and partitionings.
     */
    public static long rowSeed(long seed, String prompt) {
        long h = 0xcbf29ce484222325L;
        for (byte b : prompt.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        long z = seed * 0x9e3779b97f4a7c15L + h;
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    @Override
    protected String verb() {
        return "generate";
    }

    @Override
    protected void checkInput(StructType schema) {
        DataType type = columnType(schema, $(inputCol));
        if (!type.equals(DataTypes.StringType) && messageFields(type) == null) {
            throw new IllegalArgumentException("Cannot generate: input column '" + $(inputCol) + "' must be a string "
                    + "or array<struct<role: string, content: string>> (" + type.simpleString() + ")");
        }
        if (!$(seedCol).isEmpty()) {
            DataType st = columnType(schema, $(seedCol));
            if (!(st instanceof LongType) && !(st instanceof IntegerType)) {
                throw new IllegalArgumentException("Cannot generate: seed column '" + $(seedCol)
                        + "' must be a long or an int (" + st.simpleString() + ")");
            }
        }
        samplingParams();
    }

    /** Indices of role and content in a chat-message element struct, or null if the type is not one. */
    private static int[] messageFields(DataType type) {
        if (!(type instanceof ArrayType array) || !(array.elementType() instanceof StructType element)) {
            return null;
        }
        List<String> names = List.of(element.fieldNames());
        if (!names.contains("role") || !names.contains("content")
                || !element.apply("role").dataType().equals(DataTypes.StringType)
                || !element.apply("content").dataType().equals(DataTypes.StringType)) {
            return null;
        }
        return new int[] {element.fieldIndex("role"), element.fieldIndex("content")};
    }

    @Override
    protected List<StructField> outputFields() {
        return List.of(
                DataTypes.createStructField($(outputCol), DataTypes.StringType, true),
                DataTypes.createStructField($(finishReasonCol), DataTypes.StringType, false),
                DataTypes.createStructField($(promptTokensCol), DataTypes.IntegerType, true),
                DataTypes.createStructField($(completionTokensCol), DataTypes.IntegerType, false));
    }

    @Override
    protected WindowWork windowWork(StructType schema) {
        DataType type = schema.apply($(inputCol)).dataType();
        String system = $(systemPrompt);
        return new Work(schema.fieldIndex($(inputCol)), messageFields(type), system.isEmpty() ? null : system,
                (Boolean) $(applyChatTemplate), samplingParams(), (Long) $(seed()),
                $(seedCol).isEmpty() ? -1 : schema.fieldIndex($(seedCol)),
                $(assistantPrefixCol).isEmpty() ? -1 : schema.fieldIndex($(assistantPrefixCol)),
                getOptions().minSharedPrefix());
    }

    /**
     * A row's prompt.
     *
     * @param text the rendered prompt (seeds derive from it), null on error
     * @param chat the conversation it renders, null for a raw prompt
     * @param prefix the start of the assistant's answer the model continues, or null
     * @param error null, or why there is none
     */
    private record Prompt(String text, List<ChatMessage> chat, String prefix, RowError error) {
        static Prompt failed(RowError error) {
            return new Prompt(null, null, null, error);
        }

        static Prompt of(List<ChatMessage> chat) {
            return new Prompt(ChatTemplate.render(chat, true), chat, null, null);
        }

        /** The same prompt with the assistant's answer begun by {@code answerStart} (null or empty: not). */
        Prompt continuing(String answerStart) {
            return error != null || answerStart == null || answerStart.isEmpty() ? this
                    : new Prompt(text, chat, answerStart, null);
        }

        /** The whole prompt text, answer start included: what a row's default seed derives from. */
        String seedText() {
            return prefix == null ? text : text + prefix;
        }

        long[] ids(Phi4Tokenizer tok) {
            if (chat != null) {
                return tok.encodeContinuation(chat, prefix);
            }
            long[] raw = tok.encodeWithControlTokens(text);
            // a raw prompt is the caller's own template, but the answer's start is plain text all the same
            return prefix == null ? raw : LongStream.concat(LongStream.of(raw), LongStream.of(tok.encode(prefix)))
                    .toArray();
        }
    }

    private static final class Work implements WindowWork {
        private static final long serialVersionUID = 1L;
        private final int input;
        private final int[] messageFields;
        private final String system;
        private final boolean chatTemplate;
        private final SamplingParams params;
        private final long seed;
        private final int seedIndex;
        private final int prefixIndex;
        private final int minSharedPrefix;

        Work(int input, int[] messageFields, String system, boolean chatTemplate, SamplingParams params, long seed,
                int seedIndex, int prefixIndex, int minSharedPrefix) {
            this.input = input;
            this.messageFields = messageFields;
            this.system = system;
            this.chatTemplate = chatTemplate;
            this.params = params;
            this.seed = seed;
            this.seedIndex = seedIndex;
            this.prefixIndex = prefixIndex;
            this.minSharedPrefix = minSharedPrefix;
        }

        @Override
        public List<Outcome> run(Phi4Engine engine, List<Row> rows, Batching batching) {
            Phi4Tokenizer tok = engine.requireTokenizer();
            int context = engine.config().maxPositions;
            Outcome[] out = new Outcome[rows.size()];
            List<Integer> runnable = new ArrayList<>();
            List<GenerationRequest> requests = new ArrayList<>();
            for (int i = 0; i < rows.size(); i++) {
                Row row = rows.get(i);
                Prompt p = prompt(row).continuing(prefixIndex < 0 || row.isNullAt(prefixIndex) ? null
                        : row.getString(prefixIndex));
                if (p.error() != null) {
                    out[i] = failed(null, p.error());
                    continue;
                }
                long[] ids = p.ids(tok);
                if (ids.length >= context) {
                    out[i] = failed(ids.length, new RowError(GenerationResult.PROMPT_TOO_LONG, "the prompt has "
                            + ids.length + " tokens and the context holds " + context));
                    continue;
                }
                runnable.add(i);
                requests.add(new GenerationRequest(ids, params.withSeed(seedOf(row, p.seedText()))));
            }
            // Continuous batching over the whole window: rows that stop early hand their slot to the
            // next row instead of idling until the longest one of a static batch ends.
            int[] lengths = requests.stream().mapToInt(r -> r.promptIds().length).toArray();
            Integer[] order = new Integer[requests.size()];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (a, b) -> Integer.compare(lengths[a], lengths[b]));
            List<GenerationRequest> queue = Arrays.stream(order).map(requests::get).toList();
            if (!queue.isEmpty()) {
                List<GenerationResult> results = engine.generateContinuous(queue,
                        batching.slots(lengths, params.maxNewTokens()), minSharedPrefix, TaskKill.AFTER_EACH_STEP);
                for (int j = 0; j < order.length; j++) {
                    out[runnable.get(order[j])] = outcome(results.get(j));
                }
            }
            return Arrays.asList(out);
        }

        private Prompt prompt(Row row) {
            if (row.isNullAt(input)) {
                return Prompt.failed(new RowError(GenerationResult.EMPTY_PROMPT, "the prompt is null"));
            }
            if (messageFields != null) {
                return chat(row.getList(input));
            }
            String text = row.getString(input);
            if (text.isBlank()) {
                return Prompt.failed(new RowError(GenerationResult.EMPTY_PROMPT, "the prompt is empty"));
            }
            return chatTemplate ? Prompt.of(ChatTemplate.question(system, text)) : new Prompt(text, null, null, null);
        }

        private Prompt chat(List<Row> messages) {
            if (messages.isEmpty()) {
                return Prompt.failed(new RowError(GenerationResult.EMPTY_PROMPT, "the conversation has no messages"));
            }
            List<ChatMessage> chat = new ArrayList<>();
            try {
                for (Row m : messages) {
                    if (m == null) {
                        throw new IllegalArgumentException("Cannot render chat: a message is null (null)");
                    }
                    chat.add(new ChatMessage(m.getString(messageFields[0]), m.getString(messageFields[1])));
                }
            } catch (IllegalArgumentException e) {
                return Prompt.failed(new RowError(INVALID_MESSAGES, e.getMessage()));
            }
            if (system != null && !chat.get(0).role().equals(ChatMessage.SYSTEM)) {
                chat.add(0, ChatMessage.system(system));
            }
            return Prompt.of(chat);
        }

        private long seedOf(Row row, String prompt) {
            if (seedIndex >= 0 && !row.isNullAt(seedIndex)) {
                return ((Number) row.get(seedIndex)).longValue();
            }
            return rowSeed(seed, prompt);
        }

        private static Outcome failed(Integer promptTokens, RowError error) {
            return new Outcome(new Object[] {null, "error", promptTokens, 0}, error,
                    promptTokens == null ? 0 : promptTokens, 0);
        }

        private static Outcome outcome(GenerationResult r) {
            if (r.error() != null) {
                return failed(r.promptTokens(), r.error());
            }
            return new Outcome(new Object[] {r.text(), r.finishReason().label(), r.promptTokens(),
                r.completionTokens()}, null, r.promptTokens(), r.completionTokens(), r.cachedPromptTokens());
        }
    }
}
