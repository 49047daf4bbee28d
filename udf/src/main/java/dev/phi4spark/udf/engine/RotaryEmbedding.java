package dev.phi4spark.udf.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * Rotary position embedding as HF Phi3 applies it: the rotate_half layout (the first and second halves
 * of the rotated dimensions pair up), over the first {@code partial_rotary_factor} of each head, with
 * the longrope short/long frequency factors when the config asks for them.
 */
final class RotaryEmbedding {

    private final int rotaryDim;
    private final NDArray shortInvFreq; // [rotaryDim / 2]
    private final NDArray longInvFreq;  // null unless longrope
    private final int originalMaxPositions;
    private final float attentionFactor;

    RotaryEmbedding(Phi3Config c, NDManager manager) {
        this.rotaryDim = c.rotaryDim();
        int half = rotaryDim / 2;
        boolean longrope = "longrope".equals(c.ropeScalingType());
        JsonNode scaling = c.ropeScaling;
        this.shortInvFreq = manager.create(invFreq(c, longrope ? factors(scaling, "short_factor", half) : null));
        this.longInvFreq = longrope ? manager.create(invFreq(c, factors(scaling, "long_factor", half))) : null;
        this.originalMaxPositions = c.originalMaxPositions == null ? c.maxPositions : c.originalMaxPositions;
        this.attentionFactor = longrope ? attentionFactor(c, scaling) : 1f;
    }

    /** The frequencies {@link #cosSin} uses before the original context ends (all of them without longrope). */
    float[] shortInvFreq() {
        return shortInvFreq.toFloatArray();
    }

    /** The frequencies past the original context; null without longrope. */
    float[] longInvFreq() {
        return longInvFreq == null ? null : longInvFreq.toFloatArray();
    }

    /** Positions before longrope's long frequencies take over. */
    int originalMaxPositions() {
        return originalMaxPositions;
    }

    /** The factor cos and sin are scaled by (1 without longrope). */
    float attentionFactor() {
        return attentionFactor;
    }

    /**
     * Checks longrope's factor lists without building anything, so the driver refuses a bad config in
     * one line before Spark starts rather than every task failing deep in a model load.
     */
    static void check(Phi3Config c) {
        if ("longrope".equals(c.ropeScalingType())) {
            factors(c.ropeScaling, "short_factor", c.rotaryDim() / 2);
            factors(c.ropeScaling, "long_factor", c.rotaryDim() / 2);
        }
    }

    /** {@code 1 / (factor_i * theta^(2i / dim))}, in float32 as HF computes it. */
    private float[] invFreq(Phi3Config c, double[] factors) {
        int half = rotaryDim / 2;
        float[] out = new float[half];
        for (int i = 0; i < half; i++) {
            float exponent = (float) (2 * i) / rotaryDim;
            float base = (float) Math.pow(c.ropeTheta, exponent);
            out[i] = 1f / ((factors == null ? 1f : (float) factors[i]) * base);
        }
        return out;
    }

    private static double[] factors(JsonNode scaling, String key, int half) {
        JsonNode node = scaling.get(key);
        if (node == null || !node.isArray() || node.size() != half) {
            throw new ModelLoadException("Cannot load model: rope_scaling." + key + " must list " + half
                    + " factors (" + node + ")");
        }
        double[] out = new double[half];
        for (int i = 0; i < half; i++) {
            JsonNode f = node.get(i);
            if (!f.isNumber() || !(f.asDouble() > 0) || !Double.isFinite(f.asDouble())) {
                throw new ModelLoadException("Cannot load model: rope_scaling." + key + " must hold positive numbers"
                        + " (item " + i + " is " + f + ")");
            }
            out[i] = f.asDouble();
        }
        return out;
    }

    private static float attentionFactor(Phi3Config c, JsonNode scaling) {
        JsonNode given = scaling.get("attention_factor");
        if (given != null && !given.isNull()) {
            return (float) given.asDouble();
        }
        int original = c.originalMaxPositions == null ? c.maxPositions : c.originalMaxPositions;
        double factor = (double) c.maxPositions / original;
        return factor <= 1 ? 1f : (float) Math.sqrt(1 + Math.log(factor) / Math.log(original));
    }

    /**
     * cos and sin for the given positions, each {@code [batch, 1, seq, rotaryDim]} so they broadcast
     * over heads. {@code maxPosition} picks longrope's long factors once the sequence outgrows the
     * original context, as HF does.
     */
    NDList cosSin(NDArray positions, int maxPosition, DataType dtype) {
        NDArray invFreq = longInvFreq != null && maxPosition + 1 > originalMaxPositions ? longInvFreq : shortInvFreq;
        NDArray angles = positions.expandDims(2).mul(invFreq);          // [batch, seq, rot/2]
        NDArray emb = angles.concat(angles, 2);                         // [batch, seq, rot]
        NDArray cos = emb.cos().expandDims(1);                          // [batch, 1, seq, rot]
        NDArray sin = emb.sin().expandDims(1);
        if (attentionFactor != 1f) {
            cos = cos.mul(attentionFactor);
            sin = sin.mul(attentionFactor);
        }
        return new NDList(cos.toType(dtype, false), sin.toType(dtype, false));
    }

    /** Rotates {@code x [batch, heads, seq, headDim]}. */
    NDArray apply(NDArray x, NDList cosSin) {
        long headDim = x.getShape().get(3);
        if (rotaryDim == headDim) {
            return rotate(x, cosSin);
        }
        NDArray rot = x.get(":, :, :, :{}", rotaryDim);
        NDArray pass = x.get(":, :, :, {}:", rotaryDim);
        return rotate(rot, cosSin).concat(pass, 3);
    }

    private static NDArray rotate(NDArray x, NDList cosSin) {
        NDList halves = x.split(2, 3);
        NDArray rotated = halves.get(1).neg().concat(halves.get(0), 3); // rotate_half
        return x.mul(cosSin.get(0)).add(rotated.mul(cosSin.get(1)));
    }
}
