package dev.phi4spark.udf.engine;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Writes {@code .safetensors} files: for {@code model make-tiny}, sharding and tests. */
public final class SafetensorsWriter {

    /** A tensor to write: little-endian bytes of {@code dtype} in row-major {@code shape}. */
    public record Tensor(SafetensorsDType dtype, long[] shape, byte[] data) {}

    private final Map<String, Tensor> tensors = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    /** Adds a tensor. */
    public SafetensorsWriter add(String name, Tensor tensor) {
        tensors.put(name, tensor);
        return this;
    }

    /** Adds a float32 tensor, stored as {@code dtype} (F32, or BF16 rounded to nearest even). */
    public SafetensorsWriter add(String name, float[] values, long[] shape, SafetensorsDType dtype) {
        return add(name, new Tensor(dtype, shape, encode(values, dtype)));
    }

    /** Adds a {@code __metadata__} entry. */
    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    /** Writes the file. */
    public void write(Path path) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode header = json.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Tensor t = e.getValue();
            ObjectNode node = header.putObject(e.getKey());
            node.put("dtype", t.dtype().name());
            ArrayNode shape = node.putArray("shape");
            for (long d : t.shape()) {
                shape.add(d);
            }
            node.putArray("data_offsets").add(offset).add(offset + t.data().length);
            offset += t.data().length;
        }
        byte[] headerBytes = pad(header.toString().getBytes(StandardCharsets.UTF_8));
        try (OutputStream out = Files.newOutputStream(path)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(headerBytes.length).array());
            out.write(headerBytes);
            for (Tensor t : tensors.values()) {
                out.write(t.data());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write safetensors file " + path, e);
        }
    }

    /** The format pads the header with spaces so the data starts 8-byte aligned. */
    private static byte[] pad(byte[] header) {
        int padded = (header.length + 7) / 8 * 8;
        byte[] out = new byte[padded];
        System.arraycopy(header, 0, out, 0, header.length);
        for (int i = header.length; i < padded; i++) {
            out[i] = ' ';
        }
        return out;
    }

    /** Encodes floats as F32, F16 or BF16 little-endian bytes. */
    public static byte[] encode(float[] values, SafetensorsDType dtype) {
        ByteBuffer buf = ByteBuffer.allocate(values.length * dtype.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            switch (dtype) {
                case F32 -> buf.putFloat(v);
                case BF16 -> buf.putShort(toBf16(v));
                case F16 -> buf.putShort(toF16(v));
                default -> throw new IllegalArgumentException("Cannot encode floats as " + dtype);
            }
        }
        return buf.array();
    }

    /** Rounds a float to IEEE half precision, to nearest even (Java 17 has no Float.floatToFloat16). */
    static short toF16(float v) {
        int bits = Float.floatToRawIntBits(v);
        int sign = (bits >>> 16) & 0x8000;
        int exponent = ((bits >>> 23) & 0xFF) - 127 + 15;
        int mantissa = bits & 0x7FFFFF;
        if (((bits >>> 23) & 0xFF) == 0xFF) {
            return (short) (sign | 0x7C00 | (mantissa != 0 ? 0x200 : 0));
        }
        if (exponent >= 0x1F) {
            return (short) (sign | 0x7C00);
        }
        if (exponent <= 0) {
            if (exponent < -10) {
                return (short) sign;
            }
            mantissa |= 0x800000;
            int shift = 14 - exponent;
            int half = mantissa >>> shift;
            int rest = mantissa & ((1 << shift) - 1);
            int midpoint = 1 << (shift - 1);
            if (rest > midpoint || (rest == midpoint && (half & 1) == 1)) {
                half++;
            }
            return (short) (sign | half);
        }
        int half = (exponent << 10) | (mantissa >>> 13);
        int rest = mantissa & 0x1FFF;
        if (rest > 0x1000 || (rest == 0x1000 && (half & 1) == 1)) {
            half++; // may carry into the exponent, which is the right rounding
        }
        return (short) (sign | half);
    }

    /** Rounds a float to bfloat16, to nearest even, as PyTorch does. */
    static short toBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if (Float.isNaN(v)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }
}
