package dev.phi4spark.jobs.cli;

import dev.phi4spark.udf.engine.Checkpoint;
import dev.phi4spark.udf.engine.GenerationRequest;
import dev.phi4spark.udf.engine.GenerationResult;
import dev.phi4spark.udf.engine.Phi3Config;
import dev.phi4spark.udf.engine.Phi4Engine;
import dev.phi4spark.udf.engine.SafetensorsDType;
import dev.phi4spark.udf.engine.SamplingParams;
import dev.phi4spark.udf.engine.TinyModelWriter;
import dev.phi4spark.udf.tokenizer.ChatMessage;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code phi4spark model ...}: the engine, directly, for engineers. */
@Command(name = "model", mixinStandardHelpOptions = true,
        description = "Inspect and run a Phi-4 (Phi3ForCausalLM) snapshot folder directly, without Spark.",
        subcommands = {ModelCommand.Info.class, ModelCommand.Logits.class, ModelCommand.Generate.class,
                ModelCommand.MakeTiny.class})
public final class ModelCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static long[] parseIds(String csv) {
        String[] parts = csv.split(",");
        long[] ids = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                ids[i] = Long.parseLong(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("Cannot read --token-ids: '" + parts[i].trim()
                        + "' is not an integer (" + csv + ")");
            }
        }
        return ids;
    }

    /** {@code model info}. */
    @Command(name = "info", mixinStandardHelpOptions = true,
            description = "Architecture, sizes, parameter count, dtype and memory estimate of a snapshot.")
    static final class Info implements Runnable {
        @Option(names = "--model", required = true, description = "The snapshot folder.")
        Path model;

        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            Map<String, Object> info = describe(model);
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(Json.write(info, true));
            } else {
                info.forEach((k, v) -> out.printf("%-28s %s%n", k, v));
            }
        }

        static Map<String, Object> describe(Path dir) {
            Phi3Config c = Phi3Config.read(dev.phi4spark.udf.engine.SnapshotFiles.resolve(dir, "config.json"));
            TreeSet<String> dtypes = new TreeSet<>();
            List<String> shards = new ArrayList<>();
            try (Checkpoint checkpoint = Checkpoint.open(dir)) {
                for (String name : checkpoint.tensorNames()) {
                    dtypes.add(checkpoint.info(name).dtype().name());
                }
                checkpoint.shardNames().forEach(shards::add);
            }
            long params = c.parameterCount();
            long kvBytesPerTokenF16 = 2L * c.layers * c.kvHeads * c.headDim() * 2;
            Map<String, Object> info = new LinkedHashMap<>();
            // The name rows record: folder name and a hash of every file's content (cached beside it).
            info.put("identity", Phi4Engine.identity(dir));
            info.put("architecture", Phi3Config.ARCHITECTURE);
            info.put("layers", c.layers);
            info.put("hidden_size", c.hiddenSize);
            info.put("attention_heads", c.heads);
            info.put("key_value_heads", c.kvHeads);
            info.put("head_dim", c.headDim());
            info.put("intermediate_size", c.intermediateSize);
            info.put("vocab_size", c.vocabSize);
            info.put("context_length", c.maxPositions);
            info.put("rope_theta", c.ropeTheta);
            info.put("rope_scaling", c.ropeScalingType());
            info.put("tied_embeddings", c.tieWordEmbeddings);
            info.put("parameters", params);
            info.put("checkpoint_dtypes", String.join(",", dtypes));
            info.put("checkpoint_files", shards);
            info.put("tokenizer", Files.isRegularFile(dir.resolve("tokenizer.json")));
            info.put("weights_gib_float32_cpu", gib(params * 4));
            info.put("weights_gib_float16_gpu", gib(params * 2));
            info.put("kv_cache_mib_per_1k_tokens_float16", Math.round(kvBytesPerTokenF16 * 1000 / 1048576.0 * 10) / 10.0);
            info.put("kv_cache_mib_per_1k_tokens_float32", Math.round(kvBytesPerTokenF16 * 2000 / 1048576.0 * 10) / 10.0);
            return info;
        }

        private static double gib(long bytes) {
            return Math.round(bytes / (1024.0 * 1024 * 1024) * 100) / 100.0;
        }
    }

    /** {@code model logits}. */
    @Command(name = "logits", mixinStandardHelpOptions = true,
            description = "Logits of a token sequence: the last position, or every position.")
    static final class Logits implements Runnable {
        @Option(names = "--model", required = true, description = "The snapshot folder.")
        Path model;

        @Option(names = "--token-ids", required = true, description = "Comma-separated token ids, e.g. 5,17,42.")
        String tokenIds;

        @Option(names = "--all-positions", description = "Logits at every position, not only the last.")
        boolean allPositions;

        @Option(names = "--json", description = "Print JSON (the only output format).")
        boolean json;

        @Mixin
        EngineOptionsMixin engineOptions;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            long[] ids = parseIds(tokenIds);
            try (Phi4Engine engine = Phi4Engine.load(model, engineOptions.toOptions())) {
                float[][] logits = engine.logits(ids, allPositions);
                spec.commandLine().getOut().println(Json.write(Map.of("logits", logits), false));
            }
        }
    }

    /** The two ways to give a prompt. */
    static final class PromptInput {
        @Option(names = "--prompt", required = true, description = "Prompt text; Phi-4's chat template is applied.")
        String prompt;

        @Option(names = "--token-ids", required = true, description = "Prompt token ids, fed as they are.")
        String tokenIds;
    }

    /** {@code model generate}. */
    @Command(name = "generate", mixinStandardHelpOptions = true,
            description = "Generate from a prompt (chat template applied) or from raw token ids.")
    static final class Generate implements Runnable {
        @Option(names = "--model", required = true, description = "The snapshot folder.")
        Path model;

        @ArgGroup(exclusive = true, multiplicity = "1")
        PromptInput input;

        @Option(names = "--system", description = "A system prompt (with --prompt).")
        String system;

        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Mixin
        SamplingOptionsMixin sampling;

        @Mixin
        EngineOptionsMixin engineOptions;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            SamplingParams params = sampling.toParams();
            try (Phi4Engine engine = Phi4Engine.load(model, engineOptions.toOptions())) {
                long[] prompt = input.tokenIds != null ? parseIds(input.tokenIds) : chat(engine);
                GenerationResult r = engine.generate(List.of(new GenerationRequest(prompt, params))).get(0);
                if (r.error() != null) {
                    throw new IllegalArgumentException("Cannot generate: " + r.error().render());
                }
                print(r);
            }
        }

        private long[] chat(Phi4Engine engine) {
            List<ChatMessage> messages = new ArrayList<>();
            if (system != null) {
                messages.add(ChatMessage.system(system));
            }
            messages.add(ChatMessage.user(input.prompt));
            return engine.requireTokenizer().encodeChat(messages, true);
        }

        private void print(GenerationResult r) {
            PrintWriter out = spec.commandLine().getOut();
            if (!json) {
                out.println(r.text());
                return;
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("new_token_ids", r.tokenIds());
            m.put("text", r.text());
            m.put("finish_reason", r.finishReason().label());
            m.put("prompt_tokens", r.promptTokens());
            m.put("completion_tokens", r.completionTokens());
            out.println(Json.write(m, false));
        }
    }

    /** {@code model make-tiny}. */
    @Command(name = "make-tiny", mixinStandardHelpOptions = true,
            description = "Write a small random-weight Phi-3 snapshot with a byte-level BPE tokenizer that has"
                    + " Phi-4's special tokens. Its text is random: it runs the machinery without the 29 GB download.")
    static final class MakeTiny implements Runnable {
        @Option(names = "--out", required = true, description = "The folder to write.")
        Path out;

        @Option(names = "--seed", defaultValue = "1", description = "Weight seed (default: ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--bf16", description = "Store the weights as BF16, as Phi-4 ships them.")
        boolean bf16;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            Phi3Config c = TinyModelWriter.write(out, seed, bf16 ? SafetensorsDType.BF16 : SafetensorsDType.F32);
            spec.commandLine().getOut().printf("Wrote a tiny random Phi-3 model (%d parameters, vocab %d) to %s%n",
                    c.parameterCount(), c.vocabSize, out);
        }
    }
}
