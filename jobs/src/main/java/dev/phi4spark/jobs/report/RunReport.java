package dev.phi4spark.jobs.report;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What the run report shows, read from the tables by {@link RunReportReader}: plain values, so that the
 * HTML can be rendered (and tested) without Spark.
 *
 * @param runId the run's id
 * @param command generate, filter, score or pipeline
 * @param status running, succeeded or failed
 * @param model the model's identity
 * @param startedAt when the run started
 * @param endedAt when it ended, or null while running
 * @param error the failed run's error, or null
 * @param configJson the run's resolved configuration as recorded (secrets already masked)
 * @param rowCounts the runs row's counts, {@code removed:<step>} funnel entries included, in their order
 * @param recipes rows the run generated, per recipe
 * @param judgeScores the judge scores of the rows the run scored (possibly a sample)
 * @param perplexities their perplexities
 * @param lengths the lengths shown in the length chart
 * @param lengthSource what {@code lengths} are, for the chart's caption
 * @param chunks the scoring commits, in time order, for the throughput chart
 * @param stageMetrics the runs row's {@code stage_metrics} ({@code <stage>:<figure>}, e.g.
 *     {@code generate:tokens_per_second}), empty for runs recorded without them
 * @param examples a few rows the run generated, per recipe
 * @param pairs preference pairs the run made, by how they were chosen (judge, correctness, pivotal_token)
 * @param margins those pairs' margins (chosen score minus rejected score)
 */
public record RunReport(String runId, String command, String status, String model, Instant startedAt,
        Instant endedAt, String error, String configJson, Map<String, Long> rowCounts, Map<String, Long> recipes,
        double[] judgeScores, double[] perplexities, double[] lengths, String lengthSource, List<Chunk> chunks,
        Map<String, Double> stageMetrics, Map<String, List<Example>> examples, Map<String, Long> pairs,
        double[] margins) {

    /** A report of a run that made no preference pairs. */
    public RunReport(String runId, String command, String status, String model, Instant startedAt,
            Instant endedAt, String error, String configJson, Map<String, Long> rowCounts, Map<String, Long> recipes,
            double[] judgeScores, double[] perplexities, double[] lengths, String lengthSource, List<Chunk> chunks,
            Map<String, Double> stageMetrics, Map<String, List<Example>> examples) {
        this(runId, command, status, model, startedAt, endedAt, error, configJson, rowCounts, recipes, judgeScores,
                perplexities, lengths, lengthSource, chunks, stageMetrics, examples, Map.of(), new double[0]);
    }

    /** A report without stage figures or examples. */
    public RunReport(String runId, String command, String status, String model, Instant startedAt,
            Instant endedAt, String error, String configJson, Map<String, Long> rowCounts, Map<String, Long> recipes,
            double[] judgeScores, double[] perplexities, double[] lengths, String lengthSource, List<Chunk> chunks,
            Map<String, Long> pairs, double[] margins) {
        this(runId, command, status, model, startedAt, endedAt, error, configJson, rowCounts, recipes, judgeScores,
                perplexities, lengths, lengthSource, chunks, Map.of(), Map.of(), pairs, margins);
    }

    /** A report without stage figures, examples or pairs. */
    public RunReport(String runId, String command, String status, String model, Instant startedAt,
            Instant endedAt, String error, String configJson, Map<String, Long> rowCounts, Map<String, Long> recipes,
            double[] judgeScores, double[] perplexities, double[] lengths, String lengthSource, List<Chunk> chunks) {
        this(runId, command, status, model, startedAt, endedAt, error, configJson, rowCounts, recipes, judgeScores,
                perplexities, lengths, lengthSource, chunks, Map.of(), Map.of(), Map.of(), new double[0]);
    }

    /**
     * One generated row, as the report shows it.
     *
     * @param id the row id
     * @param prompt the last message of its prompt
     * @param completion its completion
     * @param accepted whether its recipe's check accepted it
     */
    public record Example(String id, String prompt, String completion, boolean accepted) {}

    /**
     * One scoring commit: its rows all carry the same {@code scored_at}, the start of the query that
     * scored them, so a chunk's duration runs to the next chunk's start (the last one's to the run's end).
     *
     * @param startedAt the chunk's {@code scored_at}
     * @param rows rows scored
     * @param tokens tokens scored
     * @param seconds the chunk's duration, or 0 when unknown (the last chunk of a run still running)
     */
    public record Chunk(Instant startedAt, long rows, long tokens, double seconds) {

        /** Tokens per second, or 0 when the duration is unknown. */
        public double tokensPerSecond() {
            return seconds > 0 ? tokens / seconds : 0;
        }
    }
}
