package dev.phi4spark.udf.engine;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.phi4spark.udf.tokenizer.ChatMessage;
import dev.phi4spark.udf.tokenizer.Phi4Tokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A Phi-4 (or any {@code Phi3ForCausalLM}) snapshot folder loaded for inference: the model, its tokenizer
 * when the folder has one, and the stop tokens its config files name. Safe to share between threads.
 */
public final class Phi4Engine implements AutoCloseable {

    /**
     * Prefixes the engine keeps for reuse: enough for the system prompts, templates and rubrics of the
     * tasks sharing a JVM.
     */
    public static final int PREFIX_CACHE_ENTRIES = 4;
    /**
     * Tokens the kept prefixes hold together. Each costs its keys and values (Phi-4 in float16: 200 KB a
     * token), so 16,384 tokens are 3.3 GB at most, beside 29 GB of weights.
     */
    public static final long PREFIX_CACHE_TOKENS = 16_384;

    private final Path dir;
    private final Phi3Model model;
    private final Phi4Tokenizer tokenizer;
    private final Set<Long> stopTokens;
    private final Generator generator;
    private final TokenDecoder decoder;
    private final Scorer scorer;
    private volatile String identity;
    private final int prefillChunk;
    private final PrefixCache prefixes;

    private Phi4Engine(Path dir, Phi3Model model, Phi4Tokenizer tokenizer, Set<Long> stopTokens,
            EngineOptions options) {
        this.dir = dir;
        this.model = model;
        this.tokenizer = tokenizer;
        this.stopTokens = stopTokens;
        this.decoder = tokenizer == null ? TokenDecoder.NONE : ids -> decodeKnown(tokenizer, ids);
        this.generator = new Generator(model, options.prefillChunk(), stopTokens, decoder);
        this.scorer = new Scorer(model, options.prefillChunk());
        this.prefillChunk = options.prefillChunk();
        this.prefixes = new PrefixCache(model, prefillChunk, PREFIX_CACHE_ENTRIES, PREFIX_CACHE_TOKENS);
    }

    /**
     * Decodes, leaving out ids the tokenizer does not know: checkpoints pad their embedding table past
     * the tokenizer's vocabulary (multiples of 64), and a sampled padding id carries no text.
     */
    static String decodeKnown(Phi4Tokenizer tokenizer, long[] ids) {
        int known = tokenizer.vocabSize();
        return tokenizer.decode(java.util.Arrays.stream(ids).filter(id -> id >= 0 && id < known).toArray(), true);
    }

    /** Loads a snapshot folder with default options. */
    public static Phi4Engine load(Path dir) {
        return load(dir, EngineOptions.DEFAULTS);
    }

    /** Loads a snapshot folder: {@code config.json}, the safetensors, and the tokenizer if present. */
    public static Phi4Engine load(Path dir, EngineOptions options) {
        if (!Files.isDirectory(dir)) {
            throw new ModelLoadException("Cannot load model: " + dir + " is not a folder");
        }
        Phi3Config config = Phi3Config.read(SnapshotFiles.resolve(dir, "config.json"));
        if (options.threads() > 0) {
            ai.djl.engine.Engine.getEngine("PyTorch"); // loads libtorch; JniUtils fails before that
            JniUtils.setNumThreads(options.threads());
        }
        Device device = Devices.resolve(options.device(), options.device().equals("cpu") ? 0 : Devices.gpuCount());
        DataType dtype = Devices.dtype(options.dtype(), device);
        checkTokenizerFiles(dir);
        Phi4Tokenizer tokenizer = Files.isRegularFile(dir.resolve("tokenizer.json")) ? Phi4Tokenizer.load(dir) : null;
        Phi3Model model;
        try {
            model = Phi3Model.load(dir, config, device, dtype, options.attention());
        } catch (RuntimeException e) {
            if (tokenizer != null) {
                tokenizer.close();
            }
            throw e;
        }
        Set<Long> stops = stopTokens(dir, config, tokenizer);
        return new Phi4Engine(dir, model, tokenizer, stops, options);
    }

    /**
     * Checks a snapshot folder without loading its weights: config.json (longrope factors included), the
     * safetensors headers against the config (every tensor present, with its shape and a loadable dtype),
     * and the tokenizer, which is loaded. Reads headers only, so it takes
     * milliseconds even for Phi-4's 29 GB; jobs call it on the driver so that a missing, truncated or
     * mis-shaped model is one clear error before Spark starts, not a task failure on every executor.
     *
     * @throws ModelLoadException naming the file and what is wrong
     */
    public static void check(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new ModelLoadException("Cannot load model: " + dir + " is not a folder");
        }
        Phi3Config config = Phi3Config.read(SnapshotFiles.resolve(dir, "config.json"));
        RotaryEmbedding.check(config);
        checkTokenizerFiles(dir);
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            Phi3Weights.check(checkpoint, config);
        }
        // A truncated or malformed tokenizer would otherwise fail in every task; loading it takes a second.
        if (Files.isRegularFile(dir.resolve("tokenizer.json"))) {
            Phi4Tokenizer.load(dir).close();
        }
    }

    /** The tokenizer and generation files, like every snapshot file, must not be links out of the folder. */
    private static void checkTokenizerFiles(Path dir) {
        for (String name : List.of("tokenizer.json", "tokenizer_config.json", "generation_config.json")) {
            SnapshotFiles.resolve(dir, name);
        }
    }

    /** {@code eos_token_id} of config.json and generation_config.json, and the tokenizer's eos token. */
    private static Set<Long> stopTokens(Path dir, Phi3Config config, Phi4Tokenizer tokenizer) {
        Set<Long> stops = new LinkedHashSet<>(config.eosTokenIds());
        Path generation = dir.resolve("generation_config.json");
        if (Files.isRegularFile(generation)) {
            try {
                JsonNode node = new ObjectMapper().readTree(generation.toFile());
                stops.addAll(Phi3Config.ids(node == null ? null : node.get("eos_token_id")));
            } catch (IOException e) {
                throw new ModelLoadException("Cannot load model: generation_config.json is not valid JSON ("
                        + generation + ")", e);
            }
        }
        if (tokenizer != null) {
            for (long id : tokenizer.eosTokenIds()) {
                stops.add(id);
            }
        }
        return Set.copyOf(stops);
    }

    /**
     * A snapshot folder's identity: the folder name and a hash of the content of every file it needs
     * (config, tokenizer, weights), cached beside it (see {@link ModelFingerprint}). Rows record it, so
     * outputs of different models never share ids.
     */
    public static String identity(Path dir) {
        return ModelFingerprint.identity(dir);
    }

    /** The snapshot folder. */
    public Path dir() {
        return dir;
    }

    /** The model's config. */
    public Phi3Config config() {
        return model.config();
    }

    /** The loaded model. */
    public Phi3Model model() {
        return model;
    }

    /** The tokenizer, when the folder has {@code tokenizer.json}. */
    public Optional<Phi4Tokenizer> tokenizer() {
        return Optional.ofNullable(tokenizer);
    }

    /** The tokenizer, or a clear error for token-id-only snapshots. */
    public Phi4Tokenizer requireTokenizer() {
        if (tokenizer == null) {
            throw new IllegalStateException("Cannot work with text: the model folder has no tokenizer.json ("
                    + dir + "); pass token ids instead");
        }
        return tokenizer;
    }

    /** Token ids that end generation. */
    public Set<Long> stopTokens() {
        return stopTokens;
    }

    /**
     * A stable name for run metadata: the folder name and a hash of its files' content, computed on
     * first use (executors that never ask do not hash the weights).
     */
    public String identity() {
        if (identity == null) {
            identity = identity(dir);
        }
        return identity;
    }

    /** Generates for prompts given as token ids. */
    public List<GenerationResult> generate(List<GenerationRequest> requests) {
        return generator.generate(requests);
    }

    /** Generates for token-id prompts, telling {@code listener} after each decode step. */
    public List<GenerationResult> generate(List<GenerationRequest> requests, Generator.StepListener listener) {
        return generator.generate(requests, listener);
    }

    /**
     * Generates with continuous batching: {@code slots} sequences decode at once and a finished one's
     * slot takes the next request at once, so rows that stop early do not wait for the longest. Same
     * results as {@link #generate(List)} (per-row seeds), usually sooner when completion lengths vary.
     */
    public List<GenerationResult> generateContinuous(List<GenerationRequest> requests, int slots) {
        return generateContinuous(requests, slots, 0);
    }

    /**
     * {@link #generateContinuous(List, int)} that first computes, once, the keys and values of every
     * prefix of at least {@code minSharedPrefix} tokens that several of the prompts share (a system
     * prompt, a recipe template), keeps them in the engine's prefix cache, and starts each such prompt
     * from a copy: only the rest of the prompt is prefilled. Same tokens as without; 0 turns reuse off.
     */
    public List<GenerationResult> generateContinuous(List<GenerationRequest> requests, int slots,
            int minSharedPrefix) {
        return generateContinuous(requests, slots, minSharedPrefix, Generator.StepListener.NONE);
    }

    /**
     * {@link #generateContinuous(List, int, int)}, telling {@code listener} after each decode step; an
     * exception the listener throws ends the generation (a killed Spark task), its memory released.
     */
    public List<GenerationResult> generateContinuous(List<GenerationRequest> requests, int slots,
            int minSharedPrefix, Generator.StepListener listener) {
        if (minSharedPrefix < 0) {
            throw new IllegalArgumentException("Cannot reuse prefixes: the minimum shared prefix is negative ("
                    + minSharedPrefix + ")");
        }
        ContinuousGenerator continuous = new ContinuousGenerator(model, slots, prefillChunk, stopTokens, decoder);
        return (minSharedPrefix == 0 ? continuous : continuous.withPrefixCache(prefixes, minSharedPrefix))
                .generate(requests, listener);
    }

    /** The engine's prefix cache, shared by every caller of {@link #generateContinuous(List, int, int)}. */
    public PrefixCache prefixCache() {
        return prefixes;
    }

    /** Generates replies to chat conversations, one set of sampling parameters per conversation. */
    public List<GenerationResult> generateChat(List<List<ChatMessage>> conversations, List<SamplingParams> params) {
        Phi4Tokenizer tok = requireTokenizer();
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < conversations.size(); i++) {
            requests.add(new GenerationRequest(tok.encodeChat(conversations.get(i), true), params.get(i)));
        }
        return generate(requests);
    }

    /** Teacher-forced log-probabilities of whole token sequences. */
    public List<ScoreResult> score(List<long[]> texts) {
        return scorer.score(texts);
    }

    /** Log-probabilities of each sequence from token {@code firstScored[i]} on. */
    public List<ScoreResult> score(List<long[]> texts, int[] firstScored) {
        return scorer.score(texts, firstScored);
    }

    /** Probabilities of candidate next tokens after each prompt. */
    public List<ChoiceResult> choose(List<long[]> prompts, long[] candidates) {
        return scorer.choose(prompts, candidates);
    }

    /**
     * {@link #choose(List, long[])} reusing the engine's prefix cache: prompts that start with one of the
     * {@code known} prefixes (a judge's rubric head), or share one of at least {@code minSharedPrefix}
     * tokens, prefill only the rest; the prefixes' keys and values are computed once per engine. Same
     * probabilities to float rounding; {@code minSharedPrefix} 0 turns reuse off.
     */
    public List<ChoiceResult> choose(List<long[]> prompts, long[] candidates, int minSharedPrefix,
            List<long[]> known) {
        return minSharedPrefix == 0 ? scorer.choose(prompts, candidates)
                : scorer.choose(prompts, candidates, prefixes, minSharedPrefix, known);
    }

    /** Float32 logits of one sequence: the last position, or every position. */
    public float[][] logits(long[] ids, boolean allPositions) {
        if (ids.length == 0 || ids.length > config().maxPositions) {
            throw new IllegalArgumentException("Cannot compute logits: the sequence has " + ids.length
                    + " tokens; expected 1 to " + config().maxPositions);
        }
        for (long id : ids) {
            if (id < 0 || id >= config().vocabSize) {
                throw new IllegalArgumentException("Cannot compute logits: token id " + id
                        + " is outside the vocabulary of " + config().vocabSize);
            }
        }
        Batch batch = new Batch(new long[][] {ids});
        List<float[]> rows = new ArrayList<>();
        int vocab = config().vocabSize;
        try (NDManager call = model.manager().newSubManager(); KvCache cache = model.newCache(1, ids.length)) {
            model.prefill(call, batch, cache, prefillChunk, (step, hidden, start, end) -> {
                if (allPositions || end == ids.length) {
                    int from = allPositions ? 0 : end - start - 1;
                    float[] flat = model.logits(hidden.get("0, {}:, :", from)).toFloatArray();
                    for (int r = 0; r < flat.length / vocab; r++) {
                        rows.add(Arrays.copyOfRange(flat, r * vocab, (r + 1) * vocab));
                    }
                }
            });
        }
        return rows.toArray(new float[0][]);
    }

    @Override
    public void close() {
        prefixes.close();
        model.close();
        if (tokenizer != null) {
            tokenizer.close();
        }
    }
}
