package dev.phi4spark.udf.bench;

import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Counts the libtorch ops a piece of work issues from Java, with libtorch's own profiler: the top-level
 * events of its trace, i.e. ops not nested inside another op. Each is one native call from Java (an
 * NDArray op, or one TorchScript method call, whose ops nest under its {@code forward} event).
 */
public final class LibtorchOps {

    private LibtorchOps() {}

    /** The top-level op names {@code work} issued, with their counts. Not for concurrent use. */
    public static Map<String, Integer> count(Runnable work) {
        Path trace = null;
        try {
            trace = Files.createTempFile("phi4spark-ops", ".json");
            JniUtils.startProfile(false, false, false);
            try {
                work.run();
            } finally {
                JniUtils.stopProfile(trace.toString());
            }
            return topLevel(new ObjectMapper().readTree(trace.toFile()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (trace != null) {
                trace.toFile().delete();
            }
        }
    }

    /** The sum of a count's values. */
    public static int total(Map<String, Integer> counts) {
        return counts.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** Complete ("X") events of a chrome trace that start after the previous top-level event ended. */
    static Map<String, Integer> topLevel(JsonNode trace) {
        List<JsonNode> events = new ArrayList<>();
        trace.forEach(e -> {
            if ("X".equals(e.path("ph").asText())) {
                events.add(e);
            }
        });
        // Parents first: a parent starts no later than its children and lasts longer.
        events.sort(Comparator.<JsonNode>comparingDouble(e -> e.get("ts").asDouble())
                .thenComparing(e -> -e.get("dur").asDouble()));
        Map<String, Integer> out = new TreeMap<>();
        double end = Double.NEGATIVE_INFINITY;
        for (JsonNode e : events) {
            double ts = e.get("ts").asDouble();
            if (ts >= end) {
                out.merge(e.get("name").asText(), 1, Integer::sum);
                end = ts + e.get("dur").asDouble();
            }
        }
        return out;
    }
}
