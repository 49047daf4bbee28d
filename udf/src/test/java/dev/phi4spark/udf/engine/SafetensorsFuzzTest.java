package dev.phi4spark.udf.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile and broken {@code .safetensors} files: seeded mutations of valid files and random bytes. Each
 * must end in a {@link ModelLoadException}, or open (the mutation kept it valid) and then load, tensor by
 * tensor and as a whole model, or fail with a {@link ModelLoadException}. Any other exception, an
 * {@link OutOfMemoryError} or a crash fails the test. The case counts are in docs/reliability.md.
 */
class SafetensorsFuzzTest {

    /** Mutated files of the small synthetic checkpoint. */
    static final int SMALL_CASES = 10_000;
    /** Mutated headers of the tiny Phi-3 fixture, each also loaded as a model. */
    static final int MODEL_CASES = 600;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final String[] DTYPES = {"F32", "F16", "BF16", "F64", "I64", "I32", "I16", "I8", "U8", "BOOL",
        "f32", "F8_E4M3", "", "F32 ", "Q4_0"};

    @TempDir
    Path tmp;

    /** What happened to each case, by outcome: printed into the report and asserted to be clean. */
    private final Map<String, Integer> outcomes = new TreeMap<>();

    /** A parsed file: its header as JSON and its data section. */
    private record Parts(ObjectNode header, byte[] data) {}

    @Test
    void tenThousandMutatedAndRandomFilesEndInAModelLoadExceptionOrLoad() throws Exception {
        Parts base = smallCheckpoint();
        Random random = new Random(20240611L);
        Path file = Files.createDirectories(tmp.resolve("fuzz")).resolve(Checkpoint.SINGLE_FILE);
        int opened = 0;
        long startNanos = System.nanoTime();
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            for (int i = 0; i < SMALL_CASES; i++) {
                String kind = mutate(random, base, file);
                if (runCase(i, kind, file, manager)) {
                    opened++;
                }
            }
        }
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        System.out.printf("safetensors fuzz: %d cases in %.1f s, %d opened; outcomes %s%n", SMALL_CASES, seconds,
                opened, outcomes);
        assertThat(opened).as("some mutations keep the file valid").isGreaterThan(100);
        assertThat(SMALL_CASES - opened).as("most mutations are rejected").isGreaterThan(SMALL_CASES / 2);
    }

    @Test
    void mutatedHeadersOfARealCheckpointLoadAsAModelOrFailCleanly() throws Exception {
        Path fixture = Fixtures.model("tiny-phi3");
        Parts base = read(fixture.resolve("model.safetensors"));
        Phi3Config config = Phi3Config.read(fixture.resolve("config.json"));
        Path dir = Files.createDirectories(tmp.resolve("model"));
        Files.copy(fixture.resolve("config.json"), dir.resolve("config.json"));
        Random random = new Random(77L);
        int loaded = 0;
        for (int i = 0; i < MODEL_CASES; i++) {
            ObjectNode header = base.header().deepCopy();
            String kind = mutateHeader(random, header, base.data().length);
            write(dir.resolve("model.safetensors"), header, base.data());
            // The driver-side check (headers only) must agree with a real load on every case.
            String checked;
            try {
                Phi4Engine.check(dir);
                checked = null;
            } catch (ModelLoadException e) {
                checked = e.getMessage();
            } catch (Throwable t) {
                throw new AssertionError("case " + i + " (" + kind + ") check threw " + t, t);
            }
            try (Phi3Model model = Phi3Model.load(dir, config, Device.cpu(), DataType.FLOAT32)) {
                assertThat(model.config().vocabSize).isEqualTo(512);
                loaded++;
                count("model loaded");
                assertThat(checked).as("case %d (%s): the check refused a model that loads", i, kind).isNull();
            } catch (ModelLoadException e) {
                assertThat(e.getMessage()).as("case %d (%s)", i, kind).startsWith("Cannot ");
                if (checked == null && e.getMessage().contains(" NaN or infinite value(s)")) {
                    // The check reads headers only; values that a mutation made NaN are found at load.
                    count("model refused: non-finite values");
                    continue;
                }
                assertThat(checked).as("case %d (%s): the check passed a model that fails to load", i, kind)
                        .isEqualTo(e.getMessage());
                count("model refused");
            } catch (Throwable t) {
                throw new AssertionError("case " + i + " (" + kind + ") threw " + t, t);
            }
        }
        System.out.printf("model fuzz: %d cases, %d loaded; outcomes %s%n", MODEL_CASES, loaded, outcomes);
        assertThat(loaded).isPositive();
    }

    @Test
    void theDriverSideCheckPassesGoodSnapshots() {
        Phi4Engine.check(Fixtures.model("tiny-phi3"));
        Phi4Engine.check(Fixtures.model("tiny-phi3-bf16"));
        Path tiny = tmp.resolve("tiny");
        TinyModelWriter.write(tiny, 5, SafetensorsDType.BF16);
        Phi4Engine.check(tiny);
        assertThatThrownBy(() -> Phi4Engine.check(tmp.resolve("nothing"))).isInstanceOf(ModelLoadException.class)
                .hasMessage("Cannot load model: " + tmp.resolve("nothing") + " is not a folder");
    }

    @Test
    void aHeaderLengthOverTheLimitIsRefusedWithoutReadingIt() throws IOException {
        Path file = tmp.resolve("huge.safetensors");
        long claimed = SafetensorsFile.MAX_HEADER_BYTES + 1;
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(claimed + 64); // sparse: no disk is used
            raf.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(claimed).array());
        }
        assertThatThrownBy(() -> SafetensorsFile.open(file)).isInstanceOf(ModelLoadException.class)
                .hasMessage("Cannot read safetensors file " + file + ": the header length " + claimed + " exceeds "
                        + SafetensorsFile.MAX_HEADER_BYTES + " bytes");
    }

    @Test
    void aDeeplyNestedHeaderIsRefused() throws IOException {
        Path file = tmp.resolve("nested.safetensors");
        String deep = "{\"a\":" + "[".repeat(200_000) + "]".repeat(200_000) + "}";
        writeRaw(file, deep.getBytes(StandardCharsets.UTF_8), new byte[0]);
        assertThatThrownBy(() -> SafetensorsFile.open(file)).isInstanceOf(ModelLoadException.class)
                .hasMessageStartingWith("Cannot read safetensors file " + file + ": the header is not valid JSON");
    }

    @Test
    void shapesWhoseProductOverflowsAreRefused() throws IOException {
        Path file = tmp.resolve("overflow.safetensors");
        ObjectNode header = NODES.objectNode();
        ObjectNode t = header.putObject("w");
        t.put("dtype", "F32");
        t.putArray("shape").add(4294967296L).add(4294967296L).add(4);
        t.putArray("data_offsets").add(0).add(0);
        write(file, header, new byte[0]);
        assertThatThrownBy(() -> SafetensorsFile.open(file)).isInstanceOf(ModelLoadException.class)
                .hasMessage("Cannot read safetensors file " + file + ": tensor 'w' is too large (size overflows)");
    }

    @Test
    void tensorNamesThatDifferOnlyInInvalidUtf8AreRefusedNotMerged() throws IOException {
        // Decoded leniently, both names became "w\uFFFD" and the second tensor silently replaced the first.
        Path file = tmp.resolve("collide.safetensors");
        byte[] header = "{\"wA\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},\"wB\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}"
                .getBytes(StandardCharsets.UTF_8);
        header[3] = (byte) 0xFF; // the A of "wA"
        header[header.length / 2 + 3] = (byte) 0xFE; // the B of "wB"
        assertThat(new String(header, StandardCharsets.ISO_8859_1)).contains("w\u00FE\"");
        writeRaw(file, header, new byte[] {1, 2});
        assertThatThrownBy(() -> SafetensorsFile.open(file)).isInstanceOf(ModelLoadException.class)
                .hasMessage("Cannot read safetensors file " + file + ": the header is not valid UTF-8");
    }

    @Test
    void textAfterTheHeaderObjectIsRefusedButPaddingIsNot() throws IOException {
        Path file = tmp.resolve("trailing.safetensors");
        writeRaw(file, "{}garbage".getBytes(StandardCharsets.UTF_8), new byte[0]);
        assertThatThrownBy(() -> SafetensorsFile.open(file)).isInstanceOf(ModelLoadException.class)
                .hasMessageStartingWith("Cannot read safetensors file " + file + ": the header is not valid JSON (");
        writeRaw(file, "{}    \0\0".getBytes(StandardCharsets.UTF_8), new byte[0]);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertThat(f.tensors()).isEmpty();
        }
    }

    /** Opens the file and, when it opens, loads every tensor. True when it opened. */
    private boolean runCase(int i, String kind, Path file, NDManager manager) {
        SafetensorsFile opened;
        try {
            opened = SafetensorsFile.open(file);
        } catch (ModelLoadException e) {
            assertThat(e.getMessage()).as("case %d (%s)", i, kind).startsWith("Cannot read safetensors file ");
            count("refused: " + kind);
            return false;
        } catch (Throwable t) {
            throw new AssertionError("case " + i + " (" + kind + ") threw " + t, t);
        }
        try (SafetensorsFile f = opened; Checkpoint checkpoint = Checkpoint.open(file.getParent())) {
            for (SafetensorsFile.TensorInfo info : f.tensors().values()) {
                loadTensor(i, kind, checkpoint, info, manager);
            }
        } catch (ModelLoadException e) {
            throw new AssertionError("case " + i + " (" + kind + ") opened once but not twice: " + e, e);
        }
        count("opened: " + kind);
        return true;
    }

    private void loadTensor(int i, String kind, Checkpoint checkpoint, SafetensorsFile.TensorInfo info,
            NDManager manager) {
        // A tiny chunk size, so that tensors of several rows take the chunked path too.
        TensorLoader loader = new TensorLoader(checkpoint, manager, DataType.FLOAT32, 64);
        try (NDManager scratch = manager.newSubManager()) {
            TensorLoader scoped = new TensorLoader(checkpoint, scratch, DataType.FLOAT32, 64);
            NDArray array = scoped.load(info.name(), info.shape());
            assertThat(array.getShape().getShape()).as("case %d (%s)", i, kind).isEqualTo(info.shape());
            assertThat(array.getDataType()).isEqualTo(DataType.FLOAT32);
        } catch (ModelLoadException e) {
            assertThat(e.getMessage()).as("case %d (%s): %s", i, kind, e.getMessage()).startsWith("Cannot load model: ");
            if (e.getMessage().contains(" NaN or infinite value(s)")) {
                count("tensor refused: non-finite values"); // random data bytes: refused by name, never loaded
            } else {
                assertThat(info.dtype()).as("only a dtype the engine does not compute in is refused: %s",
                        e.getMessage()).isNotIn(SafetensorsDType.F32, SafetensorsDType.F16, SafetensorsDType.BF16);
            }
        } catch (Throwable t) {
            throw new AssertionError("case " + i + " (" + kind + ") tensor '" + info.name() + "' "
                    + Arrays.toString(info.shape()) + " " + info.dtype() + " threw " + t, t);
        }
        // A wrong expected shape is a clean error too.
        long[] wrong = Arrays.copyOf(info.shape(), info.shape().length + 1);
        wrong[wrong.length - 1] = 3;
        assertThatThrownBy(() -> loader.load(info.name(), wrong)).isInstanceOf(ModelLoadException.class)
                .hasMessageStartingWith("Cannot load model: tensor '" + info.name() + "' has shape ");
    }

    private void count(String outcome) {
        outcomes.merge(outcome.replaceAll("/.*", ""), 1, Integer::sum);
    }

    // ---- the base files -------------------------------------------------------------------------

    /** Six small tensors of the dtypes a checkpoint holds, a scalar and an empty one among them. */
    private static Parts smallCheckpoint() {
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        Random r = new Random(1);
        w.add("a.weight", floats(r, 24), new long[] {4, 6}, SafetensorsDType.F32);
        w.add("b.weight", floats(r, 16), new long[] {2, 2, 4}, SafetensorsDType.BF16);
        w.add("c.weight", floats(r, 10), new long[] {10}, SafetensorsDType.F16);
        w.add("d.scalar", floats(r, 1), new long[] {}, SafetensorsDType.F32);
        w.add("e.empty", new float[0], new long[] {0, 8}, SafetensorsDType.F32);
        byte[] ints = new byte[8 * 3];
        r.nextBytes(ints);
        w.add("f.ids", new SafetensorsWriter.Tensor(SafetensorsDType.I64, new long[] {3}, ints));
        try {
            Path f = Files.createTempFile("small", ".safetensors");
            try {
                w.write(f);
                return read(f);
            } finally {
                Files.delete(f);
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static float[] floats(Random r, int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) r.nextGaussian();
        }
        return out;
    }

    private static Parts read(Path file) throws IOException {
        byte[] all = Files.readAllBytes(file);
        long n = ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        ObjectNode header = (ObjectNode) JSON.readTree(new String(all, 8, (int) n, StandardCharsets.UTF_8));
        return new Parts(header, Arrays.copyOfRange(all, 8 + (int) n, all.length));
    }

    private static void write(Path file, JsonNode header, byte[] data) throws IOException {
        writeRaw(file, JSON.writeValueAsBytes(header), data);
    }

    private static void writeRaw(Path file, byte[] header, byte[] data) throws IOException {
        writeRaw(file, header.length, header, data);
    }

    private static void writeRaw(Path file, long claimedLength, byte[] header, byte[] data) throws IOException {
        ByteBuffer out = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(claimedLength).put(header).put(data);
        Files.write(file, out.array());
    }

    // ---- mutations ------------------------------------------------------------------------------

    /** Writes one mutated file and returns the kind of mutation. */
    private static String mutate(Random random, Parts base, Path file) throws IOException {
        ObjectNode header = base.header().deepCopy();
        byte[] data = base.data();
        int kind = random.nextInt(14);
        switch (kind) {
            case 0 -> {
                String k = mutateHeader(random, header, data.length);
                write(file, header, data);
                return "header/" + k;
            }
            case 1 -> {
                String k = mutateHeader(random, header, data.length);
                String k2 = mutateHeader(random, header, data.length);
                write(file, header, data);
                return "header2/" + k + "+" + k2;
            }
            case 2 -> { // the length field lies
                byte[] h = JSON.writeValueAsBytes(header);
                long[] claims = {0, 1, 2, -1, Long.MIN_VALUE, Long.MAX_VALUE, h.length - 1L, h.length + 1L,
                    h.length + data.length + 1L, h.length + random.nextInt(data.length + 1), 1L << 40,
                    SafetensorsFile.MAX_HEADER_BYTES + 1, random.nextLong()};
                writeRaw(file, claims[random.nextInt(claims.length)], h, data);
                return "length";
            }
            case 3 -> { // truncated anywhere
                byte[] h = JSON.writeValueAsBytes(header);
                ByteBuffer all = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
                all.putLong(h.length).put(h).put(data);
                Files.write(file, Arrays.copyOf(all.array(), random.nextInt(all.capacity())));
                return "truncated";
            }
            case 4 -> { // data section shorter or longer than the header says
                int len = random.nextBoolean() ? random.nextInt(data.length + 1) : data.length + 1 + random.nextInt(64);
                write(file, header, Arrays.copyOf(data, len));
                return "data-length";
            }
            case 5 -> { // random bit flips in the header bytes
                byte[] h = JSON.writeValueAsBytes(header);
                int flips = 1 + random.nextInt(8);
                for (int f = 0; f < flips; f++) {
                    h[random.nextInt(h.length)] ^= (byte) (1 << random.nextInt(8));
                }
                writeRaw(file, h, data);
                return "bitflip";
            }
            case 6 -> { // invalid UTF-8 inside the header (a name, a dtype or between tokens)
                byte[] h = JSON.writeValueAsBytes(header);
                byte[] bad = {(byte) 0xC3, (byte) 0x28, (byte) 0xFF, (byte) 0xFE, (byte) 0xED, (byte) 0xA0, (byte) 0x80,
                    (byte) 0xF0, (byte) 0x28, (byte) 0x8C, (byte) 0x28, 0};
                int at = random.nextInt(h.length);
                int n = 1 + random.nextInt(4);
                for (int b = 0; b < n && at + b < h.length; b++) {
                    h[at + b] = bad[random.nextInt(bad.length)];
                }
                writeRaw(file, h, data);
                return "non-utf8";
            }
            case 7 -> { // random bytes as the whole file
                byte[] junk = new byte[random.nextInt(256)];
                random.nextBytes(junk);
                Files.write(file, junk);
                return "random-file";
            }
            case 8 -> { // random bytes behind a plausible length
                byte[] junk = new byte[1 + random.nextInt(512)];
                random.nextBytes(junk);
                writeRaw(file, junk, data);
                return "random-header";
            }
            case 9 -> { // deep nesting of arrays or objects, within or beyond the parser's limit
                int depth = random.nextBoolean() ? 1 + random.nextInt(900) : 1000 + random.nextInt(20_000);
                String open = random.nextBoolean() ? "[" : "{\"x\":";
                String close = open.equals("[") ? "]" : "}";
                String nested = open.repeat(depth) + close.repeat(depth);
                String where = random.nextBoolean() ? "__metadata__" : "a.weight";
                String h = JSON.writeValueAsString(header).replaceFirst("\\{", "{\"" + where + "_deep\":" + nested
                        + ",");
                if (random.nextBoolean()) {
                    h = "{\"" + where + "\":" + nested + "}";
                }
                writeRaw(file, h.getBytes(StandardCharsets.UTF_8), data);
                return "nested";
            }
            case 10 -> { // not an object at the top
                String[] tops = {"[]", "null", "42", "\"x\"", "true", "", " ", "{", "}", "{}", "{\"__metadata__\":1}",
                    "{}garbage", "{\"a\":1}{\"b\":2}", "\u0000\u0000"};
                writeRaw(file, tops[random.nextInt(tops.length)].getBytes(StandardCharsets.UTF_8), data);
                return "top-level";
            }
            case 11 -> { // spaces padding, as writers do, or trailing NULs
                byte[] h = JSON.writeValueAsBytes(header);
                byte pad = random.nextBoolean() ? (byte) ' ' : 0;
                byte[] padded = Arrays.copyOf(h, h.length + random.nextInt(16));
                Arrays.fill(padded, h.length, padded.length, pad);
                writeRaw(file, padded, data);
                return "padding";
            }
            case 12 -> { // many tensors: a header that claims the same bytes for thousands of names
                int n = 1 + random.nextInt(3000);
                for (int t = 0; t < n; t++) {
                    ObjectNode e = header.putObject("dup." + t);
                    e.put("dtype", "U8");
                    e.putArray("shape").add(4);
                    long b = random.nextInt(data.length - 4);
                    e.putArray("data_offsets").add(b).add(b + 4);
                }
                write(file, header, data);
                return "many-overlapping";
            }
            default -> { // random data bytes: NaN, infinities and denormals in valid tensors
                byte[] noisy = data.clone();
                random.nextBytes(noisy);
                write(file, header, noisy);
                return "random-data";
            }
        }
    }

    /** One change to a header's JSON; returns its kind. */
    static String mutateHeader(Random random, ObjectNode header, int dataLength) {
        List<String> names = new ArrayList<>();
        header.fieldNames().forEachRemaining(names::add);
        names.remove("__metadata__");
        names.removeIf(n -> !header.get(n).isObject() || !header.get(n).path("shape").isArray()
                || !header.get(n).path("data_offsets").isArray() || !header.get(n).path("dtype").isTextual());
        if (names.isEmpty()) {
            return "none";
        }
        String name = names.get(random.nextInt(names.size()));
        ObjectNode tensor = (ObjectNode) header.get(name);
        switch (random.nextInt(12)) {
            case 0 -> {
                tensor.set("dtype", randomValue(random, true));
                return "dtype";
            }
            case 1 -> {
                tensor.set("shape", randomShape(random, tensor.get("shape")));
                return "shape";
            }
            case 2 -> {
                tensor.set("data_offsets", randomOffsets(random, tensor.get("data_offsets"), dataLength));
                return "offsets";
            }
            case 3 -> { // a field removed or the tensor replaced by a non-object
                String[] fields = {"dtype", "shape", "data_offsets"};
                if (random.nextBoolean()) {
                    tensor.remove(fields[random.nextInt(3)]);
                } else {
                    header.set(name, randomValue(random, false));
                }
                return "missing-field";
            }
            case 4 -> { // two tensors' offsets swapped (same size: still valid) or copied (overlap)
                String other = names.get(random.nextInt(names.size()));
                JsonNode a = tensor.get("data_offsets");
                JsonNode b = header.get(other).get("data_offsets");
                tensor.set("data_offsets", b.deepCopy());
                if (random.nextBoolean()) {
                    ((ObjectNode) header.get(other)).set("data_offsets", a.deepCopy());
                }
                return "offsets-swapped";
            }
            case 5 -> { // shape permuted or reshaped with the same element count: stays valid
                ArrayNode shape = (ArrayNode) tensor.get("shape");
                long product = 1;
                for (JsonNode d : shape) {
                    product *= d.asLong();
                }
                ArrayNode reshaped = NODES.arrayNode();
                if (random.nextBoolean() || product == 0) {
                    List<Long> dims = new ArrayList<>();
                    shape.forEach(d -> dims.add(d.asLong()));
                    java.util.Collections.shuffle(dims, random);
                    dims.forEach(reshaped::add);
                    if (random.nextBoolean()) {
                        reshaped.add(1);
                    }
                } else {
                    reshaped.add(product);
                }
                tensor.set("shape", reshaped);
                return "reshaped";
            }
            case 6 -> { // a dtype of the same width: valid file, maybe not a loadable dtype
                String[] same = switch (tensor.get("dtype").asText()) {
                    case "F32" -> new String[] {"I32", "F32"};
                    case "F16", "BF16" -> new String[] {"F16", "BF16", "I16"};
                    case "I64" -> new String[] {"F64", "I64"};
                    default -> new String[] {"U8", "I8", "BOOL"};
                };
                tensor.put("dtype", same[random.nextInt(same.length)]);
                return "dtype-same-width";
            }
            case 7 -> { // metadata: strings, numbers, nested objects, arrays, null
                ObjectNode meta = NODES.objectNode();
                meta.set("k" + random.nextInt(5), randomValue(random, false));
                header.set("__metadata__", random.nextInt(4) == 0 ? randomValue(random, false) : meta);
                return "metadata";
            }
            case 8 -> { // a renamed tensor: odd names are just names
                String[] odd = {"", " ", "../../etc/passwd", "\u0000", "\ud800", "名前", "a".repeat(5000), "__metadata__x",
                    "model.layers.-1.w"};
                header.remove(name);
                header.set(odd[random.nextInt(odd.length)], tensor);
                return "renamed";
            }
            case 9 -> { // extra unknown fields
                tensor.set("extra" + random.nextInt(3), randomValue(random, false));
                return "extra-field";
            }
            case 10 -> { // a zero-size tensor added somewhere
                ObjectNode e = header.putObject("zero." + random.nextInt(100));
                e.put("dtype", DTYPES[random.nextInt(10)]);
                e.putArray("shape").add(0).add(random.nextInt(5));
                long at = random.nextInt(dataLength + 2);
                e.putArray("data_offsets").add(at).add(at);
                return "zero-size";
            }
            default -> { // the size claim of a tensor grows or shrinks by one element
                ArrayNode shape = (ArrayNode) tensor.get("shape");
                if (shape.isEmpty()) {
                    shape.add(random.nextBoolean() ? 2 : 0);
                } else {
                    int d = random.nextInt(shape.size());
                    shape.set(d, NODES.numberNode(Math.max(0, shape.get(d).asLong() + (random.nextBoolean() ? 1 : -1))));
                }
                return "size-off-by-one";
            }
        }
    }

    private static JsonNode randomShape(Random random, JsonNode original) {
        ArrayNode shape = NODES.arrayNode();
        int rank = random.nextInt(7);
        for (int i = 0; i < rank; i++) {
            shape.add(randomNumber(random));
        }
        if (random.nextInt(5) == 0) {
            return randomValue(random, false);
        }
        return random.nextInt(5) == 0 ? original : shape;
    }

    private static JsonNode randomOffsets(Random random, JsonNode original, int dataLength) {
        ArrayNode offsets = NODES.arrayNode();
        int n = random.nextInt(6) == 0 ? random.nextInt(4) : 2;
        for (int i = 0; i < n; i++) {
            if (random.nextBoolean()) {
                offsets.add(random.nextInt(dataLength + 16) - 8);
            } else {
                offsets.add(randomNumber(random));
            }
        }
        return random.nextInt(8) == 0 ? randomValue(random, false) : offsets;
    }

    private static JsonNode randomNumber(Random random) {
        return switch (random.nextInt(11)) {
            case 0 -> NODES.numberNode(-1 - random.nextInt(100));
            case 1 -> NODES.numberNode(Long.MAX_VALUE);
            case 2 -> NODES.numberNode(Long.MIN_VALUE);
            case 3 -> NODES.numberNode(new java.math.BigInteger("123456789012345678901234567890"));
            case 4 -> NODES.numberNode(1.5);
            case 5 -> NODES.numberNode(Double.NaN);
            case 6 -> NODES.numberNode(1L << (32 + random.nextInt(31)));
            case 7 -> NODES.textNode("4");
            case 8 -> NODES.numberNode(Integer.MAX_VALUE);
            case 9 -> NODES.numberNode(new java.math.BigDecimal("1e400"));
            default -> NODES.numberNode(random.nextInt(40));
        };
    }

    private static JsonNode randomValue(Random random, boolean dtypeLike) {
        if (dtypeLike && random.nextBoolean()) {
            return NODES.textNode(DTYPES[random.nextInt(DTYPES.length)]);
        }
        return switch (random.nextInt(7)) {
            case 0 -> NODES.nullNode();
            case 1 -> randomNumber(random);
            case 2 -> NODES.textNode("\uDC00x" + random.nextInt());
            case 3 -> NODES.arrayNode().add(1).add("F32");
            case 4 -> NODES.objectNode().put("dtype", "F32");
            case 5 -> NODES.booleanNode(random.nextBoolean());
            default -> NODES.textNode("");
        };
    }
}
