package dev.phi4spark.jobs.export;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * The dataset card ({@code README.md}) of an exported training set: Hugging Face front matter naming the
 * splits' files, then where the rows came from. Rendered from plain values, with nothing that changes
 * between two exports of the same rows (no time of export), so the card is as reproducible as the data.
 */
public final class DatasetCard {

    private DatasetCard() {}

    /**
     * One step of the funnel from the generated rows to the exported ones.
     *
     * @param step the filter step, or an export threshold such as {@code export.min_judge_score >= 3}
     * @param removed rows it removed
     */
    public record Step(String step, long removed) {}

    /**
     * What the card shows.
     *
     * @param table the table exported
     * @param layout {@code messages} (supervised fine-tuning) or {@code prompt/chosen/rejected} (preference)
     * @param written the files and rows per recipe and split
     * @param formats the formats written
     * @param funnelInput rows the funnel starts from (generated rows), or -1 when unknown
     * @param funnel the steps that removed rows, in order
     * @param benchmarks the benchmarks the exported rows were checked against (empty: none)
     * @param verdicts decontamination verdicts of the exported rows ({@code not_scored} for rows without scores)
     * @param models model identities of the rows
     * @param samplings sampling settings of the rows (JSON)
     * @param runIds the runs that generated, filtered and scored them
     */
    public record Facts(String table, String layout, TrainingSetWriter.Written written, List<String> formats,
            long funnelInput, List<Step> funnel, List<String> benchmarks, Map<String, Long> verdicts,
            List<String> models, List<String> samplings, List<String> runIds) {}

    /** The card's Markdown. */
    public static String render(Facts f) {
        StringBuilder md = new StringBuilder();
        frontMatter(md, f);
        md.append("# phi4spark training set\n\n");
        md.append("Exported from the `").append(f.table()).append("` table by `phi4spark export`, in the ")
                .append(f.layout().equals("messages")
                        ? "chat `messages` layout (a list of `{role, content}` ending in the assistant's answer)"
                        : "`prompt` / `chosen` / `rejected` layout of preference trainers (DPO)")
                .append(". Rows are split by a hash of their `id`.\n\n");
        rows(md, f);
        files(md, f);
        funnel(md, f);
        decontamination(md, f);
        md.append("## Provenance\n\n");
        list(md, "Model", f.models());
        list(md, "Sampling", f.samplings());
        list(md, "Runs", f.runIds());
        return md.toString();
    }

    private static void frontMatter(StringBuilder md, Facts f) {
        String format = f.formats().contains("parquet") ? "parquet" : f.formats().get(0);
        md.append("---\nconfigs:\n- config_name: default\n  data_files:\n");
        for (String split : new TreeSet<>(f.written().files().stream().map(TrainingSetWriter.DataFile::split).toList())) {
            md.append("  - split: ").append(split).append("\n    path: data/").append(split).append("-*.")
                    .append(format).append('\n');
        }
        md.append("---\n\n");
    }

    private static void rows(StringBuilder md, Facts f) {
        md.append("## Rows\n\n| recipe | train | validation | total |\n|---|---:|---:|---:|\n");
        long train = 0;
        long validation = 0;
        for (Map.Entry<String, Map<String, Long>> e : f.written().rowsPerRecipe().entrySet()) {
            long t = e.getValue().getOrDefault(TrainingSetWriter.TRAIN, 0L);
            long v = e.getValue().getOrDefault(TrainingSetWriter.VALIDATION, 0L);
            md.append(String.format(Locale.ROOT, "| %s | %d | %d | %d |%n", e.getKey(), t, v, t + v));
            train += t;
            validation += v;
        }
        md.append(String.format(Locale.ROOT, "| **all** | %d | %d | %d |%n%n", train, validation, train + validation));
    }

    private static void files(StringBuilder md, Facts f) {
        md.append("## Files\n\n| file | split | rows |\n|---|---|---:|\n");
        for (TrainingSetWriter.DataFile file : f.written().files()) {
            md.append(String.format(Locale.ROOT, "| `%s` | %s | %d |%n", file.path(), file.split(), file.rows()));
        }
        md.append('\n');
    }

    private static void funnel(StringBuilder md, Facts f) {
        md.append("## Filter funnel\n\n");
        if (f.funnelInput() < 0) {
            md.append("The generated rows are not known (no synthetic_raw table).\n\n");
        }
        md.append("| step | removed | left |\n|---|---:|---:|\n");
        long left = f.funnelInput();
        if (left >= 0) {
            md.append(String.format(Locale.ROOT, "| generated | | %d |%n", left));
        }
        for (Step s : f.funnel()) {
            left = left < 0 ? -1 : left - s.removed();
            md.append(String.format(Locale.ROOT, "| %s | %d | %s |%n", s.step(), s.removed(), left < 0 ? "" : left));
        }
        long exported = f.written().rows(TrainingSetWriter.TRAIN) + f.written().rows(TrainingSetWriter.VALIDATION);
        md.append(String.format(Locale.ROOT, "| **exported** | | %d |%n%n", exported));
    }

    private static void decontamination(StringBuilder md, Facts f) {
        md.append("## Decontamination\n\n");
        md.append(f.benchmarks().isEmpty() ? "No benchmarks were configured (score.benchmarks).\n"
                : "Checked against: " + String.join(", ", f.benchmarks()) + ".\n");
        if (!f.verdicts().isEmpty()) {
            md.append("\n| verdict | rows |\n|---|---:|\n");
            f.verdicts().forEach((k, v) -> md.append(String.format(Locale.ROOT, "| %s | %d |%n", k, v)));
        }
        md.append('\n');
    }

    private static void list(StringBuilder md, String label, List<String> values) {
        md.append("- ").append(label).append(": ");
        md.append(values.isEmpty() ? "(unknown)" : values.stream().map(v -> "`" + v + "`").reduce((a, b) -> a + ", " + b)
                .orElse(""));
        md.append('\n');
    }
}
