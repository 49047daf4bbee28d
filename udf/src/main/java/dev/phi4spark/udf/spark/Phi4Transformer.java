package dev.phi4spark.udf.spark;

import dev.phi4spark.udf.engine.ModelOption;
import dev.phi4spark.udf.engine.ModelOptions;
import dev.phi4spark.udf.engine.Phi4Engine;
import dev.phi4spark.udf.engine.RowError;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * What {@link Phi4Generator}, {@link Phi4Scorer} and {@link Phi4Judge} share: the model params (one per
 * row of {@link ModelOptions}, named in camelCase: {@code prefill_chunk} is {@code prefillChunk}, batching
 * included), the window param, error handling, and the partition loop.
 *
 * <p>A partition is read a window of {@code windowRows} rows at a time; the subclass tokenizes the
 * window, runs it in length-sorted batches and returns one outcome per row in the window's order, so
 * rows leave in the order they came. The engine is fetched from {@link ModelRegistry} inside the task:
 * the closure carries only options. Every input column is kept; output columns are appended, the error
 * column last. A row that cannot run gets an error and the partition goes on, unless
 * {@code failOnError} is set.
 *
 * @param <T> the concrete class, so setters chain
 */
public abstract class Phi4Transformer<T extends Phi4Transformer<T>> extends Transformer
        implements DefaultParamsWritable {

    private static final long serialVersionUID = 1L;

    private final String uid;
    private final Param<String> modelPath;
    /** One param per model option, by option name: made from the table, so none is written by hand. */
    private final Map<String, Param<Object>> optionParams = new LinkedHashMap<>();
    private final IntParam windowRows;
    private final BooleanParam failOnError;
    private final Param<String> errorCol;
    private Phi4Metrics metrics;

    protected Phi4Transformer(String uid) {
        this.uid = uid;
        modelPath = new Param<>(uid, "modelPath", "model folder or Hadoop FileSystem URI");
        for (ModelOption<?> o : ModelOptions.ALL) {
            @SuppressWarnings("unchecked")
            Param<Object> p = o.type() == Integer.class ? (Param<Object>) (Param<?>) new IntParam(uid, o.paramName(),
                    o.doc()) : (Param<Object>) (Param<?>) new Param<String>(uid, o.paramName(), o.doc());
            optionParams.put(o.name(), p);
            setDefault(p, o.defaultValue());
        }
        windowRows = new IntParam(uid, "windowRows", "rows read from a partition before sorting into batches");
        failOnError = new BooleanParam(uid, "failOnError", "fail the task on the first row error");
        errorCol = new Param<>(uid, "errorCol", "output column of row errors (null when fine)");
        setDefault(modelPath, "");
        setDefault(windowRows, Phi4Options.DEFAULT_WINDOW_ROWS);
        setDefault(failOnError, false);
        setDefault(errorCol, "error");
    }

    @Override
    public String uid() {
        return uid;
    }

    @SuppressWarnings("unchecked")
    protected final T self() {
        return (T) this;
    }

    // --- params: a public no-arg method per param, which is how Spark's Params finds them ---

    /** Model folder or Hadoop FileSystem URI (required). */
    public Param<String> modelPath() {
        return modelPath;
    }

    /**
     * Spark finds params through public no-arg methods; the model params are made from the table
     * instead, so they are added here (sorted by name, as Spark sorts its own).
     */
    @Override
    public Param<?>[] params() {
        Map<String, Param<?>> all = new java.util.TreeMap<>();
        for (Param<?> p : super.params()) {
            all.put(p.name(), p);
        }
        optionParams.values().forEach(p -> all.put(p.name(), p));
        return all.values().toArray(new Param<?>[0]);
    }

    /** The param of a model option, named {@link ModelOption#paramName()}. */
    public Param<Object> param(ModelOption<?> option) {
        Param<Object> p = optionParams.get(option.name());
        if (p == null) {
            throw new IllegalArgumentException("Cannot find the param of " + option.name() + ": not a model option.");
        }
        return p;
    }

    /** Rows read from a partition before they are sorted into batches (default 256). */
    public IntParam windowRows() {
        return windowRows;
    }

    /** Fail the task on the first row error instead of writing it to {@code errorCol} (default false). */
    public BooleanParam failOnError() {
        return failOnError;
    }

    /** Output column of row errors, null when the row is fine (default {@code error}). */
    public Param<String> errorCol() {
        return errorCol;
    }

    // --- setters and getters ---

    /** Sets {@link #modelPath()}. */
    public T setModelPath(String value) {
        set(modelPath, value);
        return self();
    }

    /**
     * Sets a model option's param, checked with the option's rule so a bad value fails where it is set.
     * The named setters below are shortcuts for the options there were when they were written; a new
     * option needs none.
     */
    public <V> T setOption(ModelOption<V> option, V value) {
        set(param(option), option.check(value));
        return self();
    }

    /** Sets the {@code device} option: {@code auto} (default), {@code cpu}, {@code gpu} or {@code gpu:N}. */
    public T setDevice(String value) {
        return setOption(ModelOptions.DEVICE, value);
    }

    /** Sets the {@code dtype} option: {@code auto} (default), {@code float32} or {@code float16}. */
    public T setDtype(String value) {
        return setOption(ModelOptions.DTYPE, value);
    }

    /** Sets the {@code threads} option: libtorch intra-op threads per executor (0: libtorch's default). */
    public T setThreads(int value) {
        return setOption(ModelOptions.THREADS, value);
    }

    /** Sets the {@code prefill_chunk} option: prompt columns per prefill forward. */
    public T setPrefillChunk(int value) {
        return setOption(ModelOptions.PREFILL_CHUNK, value);
    }

    /** Sets the {@code attention} option: {@code auto}, {@code layers}, {@code fused} or {@code plain}. */
    public T setAttention(String value) {
        return setOption(ModelOptions.ATTENTION, value);
    }

    /** Sets the {@code cache_dir} option: where staged models are copied (empty: the temp folder). */
    public T setCacheDir(String value) {
        return setOption(ModelOptions.CACHE_DIR, value);
    }

    /** Sets the {@code min_shared_prefix} option (0: no prefix reuse). */
    public T setMinSharedPrefix(int value) {
        return setOption(ModelOptions.MIN_SHARED_PREFIX, value);
    }

    /** Sets the {@code max_batch_tokens} option: most padded tokens per batch. */
    public T setMaxBatchTokens(int value) {
        return setOption(ModelOptions.MAX_BATCH_TOKENS, value);
    }

    /** Sets the {@code max_batch_rows} option: most rows per batch. */
    public T setMaxBatchRows(int value) {
        return setOption(ModelOptions.MAX_BATCH_ROWS, value);
    }

    /** Sets {@link #windowRows()}. */
    public T setWindowRows(int value) {
        set(windowRows, inRange("windowRows", value, 1, Phi4Options.MAX_WINDOW_ROWS));
        return self();
    }

    /** Sets {@link #failOnError()}. */
    public T setFailOnError(boolean value) {
        set(failOnError, value);
        return self();
    }

    /** Sets {@link #errorCol()}. */
    public T setErrorCol(String value) {
        set(errorCol, value);
        return self();
    }

    /** Sets the model path and every model option's param from one options object. */
    public T setOptions(Phi4Options options) {
        set(modelPath, options.modelPath());
        ModelOptions.ALL.forEach(o -> set(param(o), options.get(o)));
        return self();
    }

    /** The model path and model params as one options object (checked). */
    public Phi4Options getOptions() {
        return Phi4Options.of($(modelPath), o -> $(param(o)));
    }

    /** The error column name. */
    public String getErrorCol() {
        return $(errorCol);
    }

    /** Accumulators to add rows, tokens, errors and seconds to; not a param, so not saved. */
    public T setMetrics(Phi4Metrics value) {
        this.metrics = value;
        return self();
    }

    /** The metrics set with {@link #setMetrics}, or null. */
    public Phi4Metrics getMetrics() {
        return metrics;
    }

    @Override
    public T copy(ParamMap extra) {
        T copy = defaultCopy(extra);
        copy.setMetrics(metrics);
        return copy;
    }

    // --- schema and transform ---

    /** What the transformer does, for messages: "generate", "score", "judge". */
    protected abstract String verb();

    /** Checks the input columns; messages follow "Cannot {verb}: why (value)". */
    protected abstract void checkInput(StructType schema);

    /** The output columns before the error column. */
    protected abstract List<StructField> outputFields();

    /** The per-window work for this input schema: serializable, holding no reference to the Transformer. */
    protected abstract WindowWork windowWork(StructType schema);

    @Override
    public StructType transformSchema(StructType schema) {
        getOptions().requireModelPath();
        checkInput(schema);
        List<StructField> added = new ArrayList<>(outputFields());
        added.add(DataTypes.createStructField($(errorCol), DataTypes.StringType, true));
        StructType out = schema;
        for (StructField f : added) {
            if (List.of(out.fieldNames()).contains(f.name())) {
                throw new IllegalArgumentException("Cannot " + verb() + ": the input already has a column named like "
                        + "an output column (" + f.name() + ")");
            }
            out = out.add(f);
        }
        return out;
    }

    /**
     * A value checked against its range, so that a bad setting fails where it is set, in one line.
     *
     * @throws IllegalArgumentException "Cannot set windowRows: it must be from 1 to 1048576 (got 0)"
     */
    static int inRange(String param, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException("Cannot set " + param + ": it must be from " + min + " to " + max
                    + " (got " + value + ")");
        }
        return value;
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        // params set through a ParamMap or copy() skip the setters: getOptions() checks them again here
        inRange("windowRows", (Integer) $(windowRows), 1, Phi4Options.MAX_WINDOW_ROWS);
        StructType out = transformSchema(dataset.schema());
        Phi4Options options = getOptions();
        PartitionTask task = new PartitionTask(options, options.batching(), (Integer) $(windowRows),
                (Boolean) $(failOnError), verb(), windowWork(dataset.schema()), metrics);
        return dataset.toDF().mapPartitions(task, Encoders.row(out));
    }

    /** A string input column's index, checked to exist and be a string. */
    protected final int stringColumn(StructType schema, String name) {
        DataType type = columnType(schema, name);
        if (!type.equals(DataTypes.StringType)) {
            throw new IllegalArgumentException("Cannot " + verb() + ": input column '" + name
                    + "' must be a string (" + type.simpleString() + ")");
        }
        return schema.fieldIndex(name);
    }

    /** A column's type, or a clear error when it is missing. */
    protected final DataType columnType(StructType schema, String name) {
        if (!List.of(schema.fieldNames()).contains(name)) {
            throw new IllegalArgumentException("Cannot " + verb() + ": the input has no column '" + name + "' ("
                    + String.join(", ", schema.fieldNames()) + ")");
        }
        return schema.apply(name).dataType();
    }

    // --- the executor side ---

    /** Batch limits. */
    public record Batching(int maxBatchTokens, int maxBatchRows) implements Serializable {
        private static final long serialVersionUID = 1L;

        /** Checks the limits. */
        public Batching {
            if (maxBatchTokens <= 0 || maxBatchRows <= 0) {
                throw new IllegalArgumentException("Cannot batch rows: maxBatchTokens and maxBatchRows must be > 0 ("
                        + maxBatchTokens + ", " + maxBatchRows + ")");
            }
        }

        /**
         * Sequence slots for continuous batching within the same budget: every slot is sized for the
         * longest row plus {@code extraPerRow}, so slots x that length stays under maxBatchTokens.
         */
        public int slots(int[] lengths, int extraPerRow) {
            int longest = java.util.Arrays.stream(lengths).max().orElse(0) + extraPerRow;
            return Math.max(1, Math.min(maxBatchRows, maxBatchTokens / Math.max(1, longest)));
        }

        /** The batches of rows with these token lengths; see {@link BatchPlanner}. */
        public List<int[]> plan(int[] lengths, int extraPerRow) {
            return BatchPlanner.plan(lengths, extraPerRow, maxBatchTokens, maxBatchRows);
        }
    }

    /**
     * What one row produced.
     *
     * @param values the output columns before the error column
     * @param error null, or why the row failed (the error column shows it as "code: message")
     * @param inputTokens tokens the row fed the model
     * @param generatedTokens tokens it generated
     * @param cachedTokens input tokens whose keys and values came from the prefix cache
     */
    public record Outcome(Object[] values, RowError error, long inputTokens, long generatedTokens, long cachedTokens) {

        /** An outcome that used no cached prefix. */
        public Outcome(Object[] values, RowError error, long inputTokens, long generatedTokens) {
            this(values, error, inputTokens, generatedTokens, 0);
        }
    }

    /** The model work of one window of rows. */
    public interface WindowWork extends Serializable {
        /** One outcome per row, in row order. */
        List<Outcome> run(Phi4Engine engine, List<Row> rows, Batching batching);
    }

    /** The function each partition runs; holds options and work, never an engine. */
    static final class PartitionTask implements MapPartitionsFunction<Row, Row> {
        private static final long serialVersionUID = 1L;
        private final Phi4Options options;
        private final Batching batching;
        private final int windowRows;
        private final boolean failOnError;
        private final String verb;
        private final WindowWork work;
        private final Phi4Metrics metrics;

        PartitionTask(Phi4Options options, Batching batching, int windowRows, boolean failOnError, String verb,
                WindowWork work, Phi4Metrics metrics) {
            if (windowRows <= 0) {
                throw new IllegalArgumentException("Cannot " + verb + ": windowRows must be > 0 (" + windowRows + ")");
            }
            this.options = options;
            this.batching = batching;
            this.windowRows = windowRows;
            this.failOnError = failOnError;
            this.verb = verb;
            this.work = work;
            this.metrics = metrics;
        }

        @Override
        public Iterator<Row> call(Iterator<Row> input) {
            if (!input.hasNext()) {
                return Collections.emptyIterator(); // an empty partition loads no model
            }
            Phi4Engine engine = ModelRegistry.engine(options, metrics);
            return new Iterator<>() {
                private Iterator<Row> window = Collections.emptyIterator();

                @Override
                public boolean hasNext() {
                    if (!window.hasNext() && input.hasNext()) {
                        window = runWindow(engine, input).iterator();
                    }
                    return window.hasNext();
                }

                @Override
                public Row next() {
                    if (!hasNext()) {
                        throw new NoSuchElementException();
                    }
                    return window.next();
                }
            };
        }

        private List<Row> runWindow(Phi4Engine engine, Iterator<Row> input) {
            List<Row> rows = new ArrayList<>(windowRows);
            while (input.hasNext() && rows.size() < windowRows) {
                rows.add(input.next());
            }
            long started = System.nanoTime();
            List<Outcome> outcomes = work.run(engine, rows, batching);
            double seconds = (System.nanoTime() - started) / 1e9;
            List<Row> out = new ArrayList<>(rows.size());
            long errors = 0;
            long inputTokens = 0;
            long generated = 0;
            long cached = 0;
            for (int i = 0; i < rows.size(); i++) {
                Outcome o = outcomes.get(i);
                if (o.error() != null) {
                    errors++;
                    if (failOnError) {
                        throw new IllegalStateException("Cannot " + verb + ": a row failed and failOnError is true "
                                + "(partition " + partition() + ", " + o.error().render() + ")");
                    }
                }
                inputTokens += o.inputTokens();
                generated += o.generatedTokens();
                cached += o.cachedTokens();
                out.add(append(rows.get(i), o));
            }
            record(rows.size(), errors, inputTokens, generated, cached, seconds);
            return out;
        }

        private static int partition() {
            TaskContext task = TaskContext.get();
            return task == null ? -1 : task.partitionId();
        }

        private static Row append(Row row, Outcome o) {
            Object[] values = new Object[row.length() + o.values().length + 1];
            for (int i = 0; i < row.length(); i++) {
                values[i] = row.get(i);
            }
            System.arraycopy(o.values(), 0, values, row.length(), o.values().length);
            values[values.length - 1] = RowError.render(o.error());
            return RowFactory.create(values);
        }

        private void record(long rows, long errors, long inputTokens, long generated, long cached, double seconds) {
            if (metrics == null) {
                return;
            }
            metrics.rows().add(rows);
            metrics.errors().add(errors);
            metrics.promptTokens().add(inputTokens);
            metrics.generatedTokens().add(generated);
            metrics.cachedPromptTokens().add(cached);
            metrics.inferenceSeconds().add(seconds);
        }
    }
}
