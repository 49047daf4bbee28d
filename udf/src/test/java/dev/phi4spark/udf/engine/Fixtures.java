package dev.phi4spark.udf.engine;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;

/** The reference fixtures copied from {@code shared/fixtures} (see the README beside them). */
public final class Fixtures {

    /** Max abs difference per logit the fixtures' README allows. */
    public static final double TOLERANCE = 1e-3;

    private Fixtures() {}

    /** The folder of a fixture model: {@code tiny-phi3} or {@code tiny-phi3-bf16}. */
    public static Path model(String name) {
        try {
            return Path.of(Fixtures.class.getResource("/fixtures/" + name + "/config.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The fixture's golden.json. */
    public static JsonNode golden(String name) {
        try {
            return new ObjectMapper().readTree(model(name).resolve("golden.json").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Loads a fixture model in float32 on the CPU. */
    public static Phi3Model load(String name) {
        return load(name, "auto");
    }

    /** A fixture model with the given attention path ({@code plain}, {@code fused} or {@code auto}). */
    public static Phi3Model load(String name, String attention) {
        Path dir = model(name);
        return Phi3Model.load(dir, Phi3Config.read(dir.resolve("config.json")), Device.cpu(), DataType.FLOAT32,
                attention);
    }

    static long[] longs(JsonNode array) {
        long[] out = new long[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asLong();
        }
        return out;
    }

    static float[] floats(JsonNode array) {
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) array.get(i).asDouble();
        }
        return out;
    }

    static double maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new AssertionError("lengths differ: " + a.length + " vs " + b.length);
        }
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }
}
