package dev.phi4spark.jobs.report;

import static dev.phi4spark.jobs.report.Svg.escape;

import dev.phi4spark.jobs.config.ConfigKeys;
import dev.phi4spark.jobs.config.JobConfig;
import dev.phi4spark.jobs.delta.TableStore;
import dev.phi4spark.udf.spark.HadoopFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes a run's report: one self-contained HTML file with the run's summary, the filter funnel, rows
 * per recipe, judge-score, perplexity and length histograms, scoring throughput, each model stage's
 * throughput, example rows per recipe and the configuration.
 * A chart without data is a "no data" panel saying why.
 */
public final class ReportWriter {

    private static final String TEMPLATE = "/report/run-report.html";
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'")
            .withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneOffset.UTC);

    private ReportWriter() {}

    /**
     * Where the report of {@code runId} goes by default: {@code phi4spark-work/reports/} next to a local
     * warehouse folder (where the tiny model also goes), else {@code <warehouse>/reports/} on the remote
     * store, where it outlives the driver (a cluster-mode driver's folder is gone when the job ends).
     */
    public static String defaultLocation(JobConfig config, String runId) {
        dev.phi4spark.jobs.delta.RunRecorder.checkRunId(runId, "write the run report");
        String warehouse = config.get(ConfigKeys.WAREHOUSE);
        if (HadoopFiles.isRemote(warehouse)) {
            return HadoopFiles.child(HadoopFiles.child(warehouse, "reports"), runId + ".html");
        }
        Path dir = Path.of(warehouse.replaceFirst("^file:(//)?", "")).toAbsolutePath();
        Path base = dir.getParent() == null ? dir : dir.getParent();
        return base.resolve("phi4spark-work").resolve("reports").resolve(runId + ".html").toString();
    }

    /** Reads the run's figures and writes the report to {@code location} (a path or a Hadoop URI). */
    public static String writeTo(TableStore tables, String runId, String location) {
        String html = render(RunReportReader.read(tables, runId));
        try {
            HadoopFiles.writeString(location, html);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write the run report: " + e.getMessage() + " (" + location + ")", e);
        }
        return HadoopFiles.absolute(location);
    }

    /** Reads the run's figures and writes the report to {@code out}, creating its folder; returns the path. */
    public static Path write(TableStore tables, String runId, Path out) {
        String html = render(RunReportReader.read(tables, runId));
        try {
            Path parent = out.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.writeString(out, html, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write the run report: " + e.getMessage() + " (" + out + ")", e);
        }
        return out;
    }

    /**
     * Writes the report of a run that just ended to its default path and prints where; a report that
     * cannot be written is a warning, never a failure of the run whose tables are already committed.
     */
    public static void writeAfterRun(TableStore tables, JobConfig config, String runId, PrintWriter out) {
        try {
            out.println("Run report: " + writeTo(tables, runId, defaultLocation(config, runId)));
        } catch (Exception e) { // Hadoop's IOExceptions reach here undeclared, through Spark's Scala
            out.println("phi4spark: warning: Cannot write the run report: " + e.getMessage());
        }
    }

    /** The report's HTML. */
    public static String render(RunReport r) {
        StringBuilder body = new StringBuilder();
        header(body, r);
        body.append("<div class=\"grid\">\n");
        panel(body, "Filter funnel", funnel(r), "Rows left after each filter step (removed:&lt;step&gt; counts of"
                + " the runs row); the note over a bar is what that step removed.", false);
        panel(body, "Rows generated per recipe", recipes(r), "synthetic_raw rows whose created_at falls in this"
                + " run.", false);
        panel(body, "Judge score", histogram(Histogram.fixed(r.judgeScores(), 0, 5, 10), "rows", "#2b6cb0",
                "no judge scores for this run (corpus_scores has no rows of this run_id, or score.judge is off)"),
                "Expected 0-5 judge score of the rows scored in this run.", false);
        panel(body, "Perplexity", histogram(Histogram.auto(r.perplexities(), 20), "rows", "#805ad5",
                "no perplexities for this run (corpus_scores has no rows of this run_id)"),
                "Per-row perplexity under the run's model (log-spaced bins when it spans over two decades).", false);
        panel(body, "Length", histogram(Histogram.auto(r.lengths(), 20), "rows", "#dd6b20",
                "no lengths for this run (it generated and scored no rows)"), "Tokens: " + escape(r.lengthSource()) + ".",
                false);
        panel(body, "Scoring throughput", throughput(r), "Tokens scored per second per commit: a chunk runs from"
                + " its scored_at to the next chunk's (the last one to the run's end), so it includes the Delta"
                + " commit.", false);
        panel(body, "Model throughput per stage", stages(r), "Prompt plus generated tokens per second of each"
                + " model stage over its wall time (Delta commits included), from the runs row's stage_metrics;"
                + " cached prompt tokens came from the prefix cache.", false);
        if (!r.pairs().isEmpty()) {
            panel(body, "Preference pairs", histogram(Histogram.auto(r.margins(), 20), "pairs", "#c53030",
                    "no margins"), escape(pairsCaption(r)), false);
        }
        body.append("</div>\n");
        panel(body, "Example rows", examples(r), "The first " + RunReportReader.EXAMPLES + " rows by id of each recipe generated in this"
                + " run: the last prompt message and the completion, cut at " + EXAMPLE_CHARS + " characters.", true);
        config(body, r);
        return template().replace("{{title}}", escape("phi4spark run " + r.runId()))
                .replace("{{body}}", body.toString());
    }

    /** How many pairs the run made, by how they were chosen, and their margins' range. */
    static String pairsCaption(RunReport r) {
        long total = r.pairs().values().stream().mapToLong(Long::longValue).sum();
        StringBuilder c = new StringBuilder(total + " preference pair(s) made in this run (");
        r.pairs().forEach((how, n) -> c.append(how).append(' ').append(n).append(", "));
        c.setLength(c.length() - 2);
        c.append("); margin = chosen score - rejected score");
        java.util.DoubleSummaryStatistics m = java.util.Arrays.stream(r.margins()).summaryStatistics();
        if (m.getCount() > 0) {
            c.append(String.format(java.util.Locale.ROOT, ", from %.2f to %.2f, mean %.2f", m.getMin(), m.getMax(),
                    m.getAverage()));
        }
        return c.append('.').toString();
    }

    private static void header(StringBuilder b, RunReport r) {
        String status = r.status() == null ? "unknown" : r.status();
        b.append("<h1>phi4spark run ").append(escape(r.runId())).append("</h1>\n");
        b.append("<div class=\"meta\">").append(escape(r.command())).append(" &middot; <span class=\"status ")
                .append(escape(status)).append("\">").append(escape(status)).append("</span> &middot; model ")
                .append(escape(r.model())).append(" &middot; started ").append(time(r.startedAt()))
                .append(" &middot; ").append(r.endedAt() == null ? "not ended"
                        : "took " + duration(Duration.between(r.startedAt(), r.endedAt())))
                .append("</div>\n");
        if (r.error() != null) {
            b.append("<div class=\"panel wide\"><h2>Error</h2><div class=\"error\">").append(escape(r.error()))
                    .append("</div></div>\n");
        }
        b.append("<div class=\"tiles\">\n");
        for (String t : List.of(TableStore.SYNTHETIC_RAW, TableStore.SYNTHETIC_CURATED, TableStore.SYNTHETIC_REJECTED,
                TableStore.CORPUS_SCORES)) {
            Long n = r.rowCounts().get(t);
            b.append("  <div class=\"tile\"><div class=\"n\">").append(n == null ? "&ndash;" : Histogram.count(n))
                    .append("</div><div class=\"k\">").append(t).append(" rows</div></div>\n");
        }
        b.append("</div>\n");
    }

    private static void panel(StringBuilder b, String title, String content, String caption, boolean wide) {
        b.append("<div class=\"panel").append(wide ? " wide" : "").append("\">\n<h2>").append(escape(title))
                .append("</h2>\n").append(content).append("<div class=\"caption\">").append(caption)
                .append("</div>\n</div>\n");
    }

    private static String noData(String why) {
        return "<div class=\"nodata\">No data: " + escape(why) + "</div>\n";
    }

    private static String histogram(List<Svg.Bar> bars, String yLabel, String colour, String why) {
        return bars.isEmpty() || bars.stream().allMatch(b -> b.value() == 0) ? noData(why)
                : Svg.barChart("histogram", yLabel, bars, colour);
    }

    /**
     * The funnel: the filter's input, then what each step left. The input is the one the filter printed
     * ({@code funnel:input}); runs recorded without it fall back to curated + everything removed, which
     * is short on a rerun, where the inserts count only new rows.
     */
    static String funnel(RunReport r) {
        List<Map.Entry<String, Long>> removed = r.rowCounts().entrySet().stream()
                .filter(e -> e.getKey().startsWith("removed:")).toList();
        if (removed.isEmpty()) {
            return noData("this run did not filter (its runs row has no removed:<step> counts)");
        }
        Long printed = r.rowCounts().get("funnel:input");
        long left = printed != null ? printed : removed.stream().mapToLong(Map.Entry::getValue).sum()
                + r.rowCounts().getOrDefault(TableStore.SYNTHETIC_CURATED, 0L);
        List<Svg.Bar> bars = new ArrayList<>();
        bars.add(new Svg.Bar("input", left, Histogram.count(left)));
        for (Map.Entry<String, Long> e : removed) {
            left -= e.getValue();
            String step = e.getKey().substring("removed:".length());
            bars.add(new Svg.Bar(step, left, "removed " + Histogram.count(e.getValue())));
        }
        return Svg.barChart("filter funnel", "rows left", bars, "#2f855a");
    }

    private static String recipes(RunReport r) {
        if (r.recipes().isEmpty()) {
            return noData("this run generated no rows");
        }
        List<Svg.Bar> bars = new ArrayList<>();
        r.recipes().forEach((k, v) -> bars.add(new Svg.Bar(k, v, Histogram.count(v))));
        return Svg.barChart("rows per recipe", "rows", bars, "#319795");
    }

    private static String throughput(RunReport r) {
        List<Svg.Bar> bars = new ArrayList<>();
        for (RunReport.Chunk c : r.chunks()) {
            if (c.seconds() > 0) {
                bars.add(new Svg.Bar(CLOCK.format(c.startedAt()), c.tokensPerSecond(),
                        Svg.number(c.tokensPerSecond())));
            }
        }
        return bars.isEmpty() ? noData("no timed scoring commits in this run") :
                Svg.barChart("scoring throughput", "tokens/s", bars, "#d53f8c");
    }

    /** Characters of a prompt or completion an example shows. */
    static final int EXAMPLE_CHARS = 600;

    /** Tokens per second of each model stage, with its token figures in the bar's tooltip. */
    static String stages(RunReport r) {
        List<Svg.Bar> bars = new ArrayList<>();
        for (String stage : List.of("generate", "score")) {
            Double rate = r.stageMetrics().get(stage + ":tokens_per_second");
            if (rate != null && rate > 0) {
                bars.add(new Svg.Bar(stage, rate, Svg.number(rate) + " tok/s"));
            }
        }
        if (bars.isEmpty()) {
            return noData("no model stage figures for this run (its runs row has no stage_metrics)");
        }
        StringBuilder table = new StringBuilder("<table class=\"figures\"><tr><th>stage</th><th>prompt tokens</th>"
                + "<th>cached</th><th>generated</th><th>seconds</th><th>tokens/s</th></tr>\n");
        for (Svg.Bar bar : bars) {
            String s = bar.label();
            table.append("<tr><td>").append(escape(s)).append("</td><td>").append(figure(r, s, "prompt_tokens"))
                    .append("</td><td>").append(figure(r, s, "cached_prompt_tokens")).append("</td><td>")
                    .append(figure(r, s, "generated_tokens")).append("</td><td>").append(figure(r, s, "seconds"))
                    .append("</td><td>").append(figure(r, s, "tokens_per_second")).append("</td></tr>\n");
        }
        Double retries = r.stageMetrics().get("commit_retries");
        table.append("</table>\n<div class=\"caption\">Delta commit retries: ")
                .append(retries == null ? "&ndash;" : Svg.number(retries)).append("</div>\n");
        return Svg.barChart("model throughput", "tokens/s", bars, "#b7791f") + table;
    }

    private static String figure(RunReport r, String stage, String name) {
        Double v = r.stageMetrics().get(stage + ":" + name);
        return v == null ? "&ndash;" : escape(Svg.number(v));
    }

    /** A few rows per recipe, every text escaped. */
    static String examples(RunReport r) {
        if (r.examples().isEmpty()) {
            return noData("this run generated no rows");
        }
        StringBuilder b = new StringBuilder();
        r.examples().forEach((recipe, rows) -> {
            b.append("<h3>").append(escape(recipe)).append("</h3>\n");
            for (RunReport.Example e : rows) {
                b.append("<div class=\"example\"><div class=\"k\">").append(escape(e.id()))
                        .append(e.accepted() ? "" : " &middot; rejected by its recipe").append("</div>")
                        .append("<pre class=\"prompt\">").append(escape(cut(e.prompt()))).append("</pre>")
                        .append("<pre class=\"completion\">").append(escape(cut(e.completion()))).append("</pre></div>\n");
            }
        });
        return b.toString();
    }

    private static String cut(String text) {
        if (text == null) {
            return "";
        }
        return text.length() <= EXAMPLE_CHARS ? text : text.substring(0, EXAMPLE_CHARS) + "…";
    }

    private static void config(StringBuilder b, RunReport r) {
        String json = r.configJson() == null || r.configJson().isBlank() ? null
                : dev.phi4spark.jobs.config.Secrets.redactJson(r.configJson());
        b.append("<div class=\"panel wide\" style=\"margin-top:16px\">\n<h2>Configuration</h2>\n")
                .append(json == null ? noData("the runs row has no config") : "<pre class=\"config\">" + escape(json)
                        + "</pre>\n")
                .append("<div class=\"caption\">As the run resolved it; secrets were masked before it was"
                        + " recorded.</div>\n</div>\n");
    }

    private static String time(Instant t) {
        return t == null ? "?" : TIME.format(t);
    }

    private static String duration(Duration d) {
        long s = d.getSeconds();
        return s >= 3600 ? String.format("%dh %02dm", s / 3600, s / 60 % 60)
                : s >= 60 ? String.format("%dm %02ds", s / 60, s % 60) : s + "s";
    }

    private static String template() {
        try (InputStream in = ReportWriter.class.getResourceAsStream(TEMPLATE)) {
            if (in == null) {
                throw new IllegalStateException("Cannot write the run report: the template is missing from the"
                        + " classpath (" + TEMPLATE + ")");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the report template: " + e.getMessage(), e);
        }
    }
}
