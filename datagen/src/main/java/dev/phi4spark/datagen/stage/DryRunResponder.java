package dev.phi4spark.datagen.stage;

import dev.phi4spark.udf.tokenizer.ChatMessage;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@link Responder} that gives each recipe step a plausible, deterministic answer, so a whole plan
 * runs end to end without a model: critiques end in a score line, answers in "Final answer: N" (N from
 * the seed, so samples agree only partly), an instruction quotes the code it describes and the
 * regenerated code is that quote. Other steps echo the first line of the prompt with the seed.
 */
public final class DryRunResponder implements Responder {

    private static final long serialVersionUID = 1L;

    private static final Pattern FENCE = Pattern.compile("```[^\\n`]*\\n(.*?)```", Pattern.DOTALL);

    /** The model identity of dry-run stages. */
    public static final String MODEL = "scripted:dry-run";

    @Override
    public String respond(String step, List<ChatMessage> messages, long seed) {
        String prompt = messages.isEmpty() ? "" : messages.get(messages.size() - 1).content();
        if (step.startsWith("critique")) {
            return "The draft is accurate but could use another example.\nScore: " + (4 + Math.floorMod(seed, 6)) + "/10";
        }
        if (step.equals("answer")) {
            return "Let us work through it step by step.\nFinal answer: " + Math.floorMod(seed, 3);
        }
        if (step.equals("instruction")) {
            return "Instruction: Write code equivalent to the following.\n```\n" + firstFence(prompt) + "\n```";
        }
        if (step.equals("regen")) {
            return "```\n" + firstFence(prompt) + "\n```";
        }
        String firstLine = prompt.strip().lines().findFirst().orElse("");
        return "[" + step + "] " + firstLine.substring(0, Math.min(120, firstLine.length())) + " (seed " + seed + ")";
    }

    private static String firstFence(String text) {
        Matcher m = FENCE.matcher(text);
        return m.find() ? m.group(1).strip() : text.strip();
    }

    /** A scripted stage answering with this responder. */
    public static ScriptedGenerationStage stage() {
        return new ScriptedGenerationStage(MODEL, new DryRunResponder());
    }
}
