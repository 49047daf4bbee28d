package dev.phi4spark.udf.engine;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One {@code .safetensors} file: the header is parsed and checked up front, and tensor bytes are read (or
 * mapped) on demand, a range at a time, never copied into one {@code byte[]} (Phi-4's shards are ~5 GB).
 *
 * <p>Every way a file can be malformed (short, header longer than the file, offsets outside the data,
 * overlapping tensors, sizes that disagree with dtype and shape) ends in a {@link ModelLoadException}
 * naming the file and the tensor.
 */
public final class SafetensorsFile implements AutoCloseable {

    /** Headers are JSON of a few hundred KB at most; a larger claim is a corrupt or hostile file. */
    static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    /**
     * Strict: a header with text after its object ({@code {}garbage}) is refused, as the reference
     * implementation refuses it, instead of being read up to the first complete value.
     */
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    /** Where one tensor lies in the file. Offsets are relative to the start of the data section. */
    public record TensorInfo(String name, SafetensorsDType dtype, long[] shape, long begin, long end) {
        /** Number of elements. */
        public long elementCount() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }

        /** Byte length. */
        public long byteLength() {
            return end - begin;
        }
    }

    private SafetensorsFile(Path path, FileChannel channel, long dataStart,
            Map<String, TensorInfo> tensors, Map<String, String> metadata) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /** Opens and validates a file. */
    public static SafetensorsFile open(Path path) {
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new ModelLoadException("Cannot read safetensors file: it does not exist (" + path + ")");
        } catch (java.nio.file.AccessDeniedException e) {
            throw new ModelLoadException("Cannot read safetensors file " + path + ": permission denied (check the"
                    + " file's permissions)", e);
        } catch (IOException e) {
            // Some IOExceptions' message is the path alone: say what kind of failure it was.
            String why = e.getMessage() == null || e.getMessage().equals(path.toString())
                    ? e.getClass().getSimpleName() : e.getMessage();
            throw new ModelLoadException("Cannot read safetensors file " + path + ": " + why, e);
        }
        try {
            return parse(path, channel);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    private static SafetensorsFile parse(Path path, FileChannel channel) {
        long fileSize = size(path, channel);
        if (fileSize < 8) {
            throw bad(path, "it is shorter than the 8-byte header length (" + fileSize + " bytes)");
        }
        long headerLength = readLong(path, channel);
        if (headerLength < 2 || headerLength > fileSize - 8) {
            throw bad(path, "the header length " + headerLength + " does not fit in the file of "
                    + fileSize + " bytes (truncated or not a safetensors file)");
        }
        if (headerLength > MAX_HEADER_BYTES) {
            throw bad(path, "the header length " + headerLength + " exceeds " + MAX_HEADER_BYTES + " bytes");
        }
        JsonNode header = readHeader(path, channel, (int) headerLength);
        long dataStart = 8 + headerLength;
        long dataSize = fileSize - dataStart;
        Map<String, String> metadata = new LinkedHashMap<>();
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> fields = header.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            if (field.getKey().equals("__metadata__")) {
                if (field.getValue().isObject()) {
                    field.getValue().fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                }
                continue;
            }
            tensors.put(field.getKey(), tensorInfo(path, field.getKey(), field.getValue(), dataSize));
        }
        checkNoOverlap(path, tensors.values());
        return new SafetensorsFile(path, channel, dataStart, Collections.unmodifiableMap(tensors), metadata);
    }

    private static TensorInfo tensorInfo(Path path, String name, JsonNode node, long dataSize) {
        if (!node.isObject()) {
            throw bad(path, "tensor '" + name + "' has no dtype/shape/data_offsets object");
        }
        SafetensorsDType dtype = SafetensorsDType.parse(node.path("dtype").asText(null));
        if (dtype == null) {
            throw bad(path, "tensor '" + name + "' has an unknown dtype (" + node.path("dtype") + ")");
        }
        JsonNode shapeNode = node.path("shape");
        JsonNode offsets = node.path("data_offsets");
        if (!shapeNode.isArray() || !offsets.isArray() || offsets.size() != 2) {
            throw bad(path, "tensor '" + name + "' needs a shape list and two data_offsets");
        }
        long[] shape = new long[shapeNode.size()];
        long elements = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.canConvertToLong() || !d.isIntegralNumber() || d.asLong() < 0) {
                throw bad(path, "tensor '" + name + "' has an invalid shape " + shapeNode);
            }
            shape[i] = d.asLong();
            elements = multiply(path, name, elements, shape[i]);
        }
        JsonNode b = offsets.get(0);
        JsonNode e = offsets.get(1);
        if (!b.isIntegralNumber() || !e.isIntegralNumber() || !b.canConvertToLong() || !e.canConvertToLong()) {
            throw bad(path, "tensor '" + name + "' has invalid data_offsets " + offsets);
        }
        long begin = b.asLong();
        long end = e.asLong();
        if (begin < 0 || end < begin || end > dataSize) {
            throw bad(path, "tensor '" + name + "' has data_offsets " + offsets
                    + " outside the data section of " + dataSize + " bytes (truncated file?)");
        }
        long expected = multiply(path, name, elements, dtype.bytes());
        if (end - begin != expected) {
            throw bad(path, "tensor '" + name + "' has " + (end - begin) + " bytes but dtype "
                    + dtype + " and shape " + shapeNode + " need " + expected);
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static long multiply(Path path, String name, long a, long b) {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException e) {
            throw bad(path, "tensor '" + name + "' is too large (size overflows)");
        }
    }

    private static void checkNoOverlap(Path path, Iterable<TensorInfo> infos) {
        List<TensorInfo> sorted = new ArrayList<>();
        infos.forEach(sorted::add);
        sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        for (int i = 1; i < sorted.size(); i++) {
            TensorInfo prev = sorted.get(i - 1);
            TensorInfo cur = sorted.get(i);
            if (cur.begin() < prev.end()) {
                throw bad(path, "tensors '" + prev.name() + "' and '" + cur.name() + "' overlap");
            }
        }
    }

    private static long size(Path path, FileChannel channel) {
        try {
            return channel.size();
        } catch (IOException e) {
            throw new ModelLoadException("Cannot read safetensors file " + path + ": " + e.getMessage(), e);
        }
    }

    private static long readLong(Path path, FileChannel channel) {
        ByteBuffer buf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(path, channel, buf, 0);
        return buf.getLong(0);
    }

    private static JsonNode readHeader(Path path, FileChannel channel, int length) {
        ByteBuffer buf = ByteBuffer.allocate(length);
        readFully(path, channel, buf, 8);
        // Decoded strictly: a lenient decode turns every invalid byte into U+FFFD, so two tensor names
        // that differ only in invalid bytes would collide and one tensor would silently replace the other.
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(buf.array()))
                    .toString();
        } catch (CharacterCodingException e) {
            throw bad(path, "the header is not valid UTF-8");
        }
        // Writers pad the header to 8 bytes with spaces; some pad with NULs, which JSON does not allow.
        int end = text.length();
        while (end > 0 && text.charAt(end - 1) == '\0') {
            end--;
        }
        text = text.substring(0, end);
        try {
            JsonNode node = JSON.readTree(text);
            if (node == null || !node.isObject()) {
                throw bad(path, "the header is not a JSON object");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw bad(path, "the header is not valid JSON (" + e.getOriginalMessage() + ")");
        }
    }

    private static void readFully(Path path, FileChannel channel, ByteBuffer buf, long position) {
        try {
            long pos = position;
            while (buf.hasRemaining()) {
                int n = channel.read(buf, pos);
                if (n < 0) {
                    throw bad(path, "the file ends early");
                }
                pos += n;
            }
        } catch (IOException e) {
            throw new ModelLoadException("Cannot read safetensors file " + path + ": " + e.getMessage(), e);
        }
    }

    private static ModelLoadException bad(Path path, String why) {
        return new ModelLoadException("Cannot read safetensors file " + path + ": " + why);
    }

    /** The file's path. */
    public Path path() {
        return path;
    }

    /** Tensors by name, in header order. */
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    /** The {@code __metadata__} strings. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * Maps {@code length} bytes of a tensor starting at {@code offset} within it, little-endian and
     * read-only. A mapping is at most 2 GiB, so callers read large tensors in chunks.
     */
    public ByteBuffer map(TensorInfo tensor, long offset, int length) {
        if (offset < 0 || length < 0 || offset + length > tensor.byteLength()) {
            throw new IllegalArgumentException("Cannot map tensor '" + tensor.name() + "': range "
                    + offset + "+" + length + " is outside its " + tensor.byteLength() + " bytes");
        }
        try {
            return channel.map(FileChannel.MapMode.READ_ONLY, dataStart + tensor.begin() + offset, length)
                    .order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new ModelLoadException("Cannot read tensor '" + tensor.name() + "' from " + path + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * Reads {@code dst.remaining()} bytes of a tensor starting at {@code offset} within it into {@code dst}
     * (straight into its memory when it is a direct buffer), leaving {@code dst}'s position where it was.
     */
    public void read(TensorInfo tensor, long offset, ByteBuffer dst) {
        if (offset < 0 || offset + dst.remaining() > tensor.byteLength()) {
            throw new IllegalArgumentException("Cannot read tensor '" + tensor.name() + "': range "
                    + offset + "+" + dst.remaining() + " is outside its " + tensor.byteLength() + " bytes");
        }
        readFully(path, channel, dst.duplicate(), dataStart + tensor.begin() + offset);
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // Closing a read-only channel cannot lose data.
        }
    }

    /** True if the path exists and is a regular file. */
    static boolean exists(Path path) {
        return Files.isRegularFile(path);
    }
}
