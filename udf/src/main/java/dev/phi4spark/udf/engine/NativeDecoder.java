package dev.phi4spark.udf.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decode steps on the CPU in one native call: from token ids and positions, the embedding rows, the
 * rotary angles, every decoder layer and the final norm, and the lm_head product, by the project's own
 * kernels ({@code udf/src/main/c/phi4decode.c}, built with the module on Linux x86-64 and shipped in its
 * jar). A decode step multiplies 1 to {@link #MAX_ROWS} rows by every weight, so its speed is the speed of
 * reading the weights: libtorch gives such products to MKL, which reads a weight on one core for one row
 * and multiplies a few rows far below the FMA rate, and each call wakes its thread team again. Here each
 * thread streams its own chunks of output rows of every matrix once per step for all the step's rows (and
 * takes a slower thread's last chunks), with software prefetch, and the pool spins between the phases of
 * a step (docs/benchmarks.md, issue 14). The arithmetic is {@link FusedDecoder}'s op for op; only
 * summation orders and the exponential (within 2 ulp of expf) differ, so results agree within float
 * rounding.
 *
 * <p>The kernels read the weights in the checkpoint's {@code [out, in]} layout, in place (no copy), and
 * write the KV cache in place, through direct buffers of libtorch's float32 tensors. Larger steps (prompt
 * prefill) stay with {@link FusedDecoder}.
 */
final class NativeDecoder implements AutoCloseable {

    /** Most rows (batch x sequence) a native step takes; prefill beyond it is libtorch's GEMM work. */
    static final int MAX_ROWS = 32;
    private static final Logger LOG = LoggerFactory.getLogger(NativeDecoder.class);
    private static final String RESOURCE = "/native/linux-x86_64/libphi4decode.so";
    private static final String UNAVAILABLE = loadLibrary();
    private static final boolean GEMM_ON_AVX512 = intelWithAvx512(Path.of("/proc/cpuinfo"));

    private final long handle;
    private final Phi3Config config;
    private final ByteBuffer lmHead; // [vocab, hidden]

    private NativeDecoder(long handle, Phi3Config config, ByteBuffer lmHead) {
        this.handle = handle;
        this.config = config;
        this.lmHead = lmHead;
    }

    /** Whether the library loaded and this CPU has AVX2 and FMA. */
    static boolean available() {
        return UNAVAILABLE == null;
    }

    /**
     * Asks the kernel for 2 MB pages under {@code memory} (a direct buffer not written yet: its first writes
     * then fault in 2 MB pages), where the library is available; false when it is not, the buffer holds no
     * whole aligned 2 MB, or the kernel refused. Advice only: the contents do not change.
     */
    static boolean adviseHugePages(ByteBuffer memory) {
        return available() && nativeHugePages(memory, false);
    }

    /**
     * Moves {@code memory}'s pages onto 2 MB pages now (Linux 6.1's {@code MADV_COLLAPSE}), for memory that
     * was written before {@link #adviseHugePages} could take effect; false as there, or on an older kernel.
     * The contents do not change.
     */
    static boolean collapseHugePages(ByteBuffer memory) {
        return available() && nativeHugePages(memory, true);
    }

    /** A direct buffer's address where the library is available, else 0 (also for a buffer that has none). */
    static long address(ByteBuffer buffer) {
        return available() ? nativeAddress(buffer) : 0;
    }

    /**
     * Whether libtorch's CPU GEMM runs AVX-512 kernels on this CPU: MKL, its BLAS, dispatches them to Intel
     * parts only. The 2048-square float32 GEMM on two cores ran at 355-381 GFLOP/s on an Intel Xeon with
     * AVX-512 and at 187 on an AVX-512 AMD Zen 5 (docs/benchmarks.md, issue 14). From /proc/cpuinfo; false
     * where it cannot be read.
     */
    static boolean libtorchGemmOnAvx512() {
        return GEMM_ON_AVX512;
    }

    /** Whether the first processor in a /proc/cpuinfo file is an Intel one with AVX-512F. */
    static boolean intelWithAvx512(Path cpuinfo) {
        try (Stream<String> lines = Files.lines(cpuinfo)) {
            String vendor = null;
            String flags = null;
            for (String line : (Iterable<String>) lines::iterator) {
                if (line.isBlank()) {
                    break;
                }
                int colon = line.indexOf(':');
                String key = colon < 0 ? line.trim() : line.substring(0, colon).trim();
                String value = colon < 0 ? "" : line.substring(colon + 1).trim();
                if (key.equals("vendor_id")) {
                    vendor = value;
                } else if (key.equals("flags")) {
                    flags = " " + value + " ";
                }
            }
            return "GenuineIntel".equals(vendor) && flags != null && flags.contains(" avx512f ");
        } catch (IOException | UncheckedIOException e) {
            return false;
        }
    }

    /**
     * The hint the products' weight prefetches take on this host: {@code "nta"} (non-temporal, on AMD) or
     * {@code "l2"} (into L2, elsewhere: non-temporal ran 2-3x slower on an Intel Xeon), or as the environment
     * variable {@code PHI4_PREFETCH} ({@code nta} or {@code l2}) asks; null where the kernels are unavailable.
     * For benchmark reports: the hint changes speed, never a bit of a result.
     */
    static String prefetchHint() {
        return available() ? (nativePrefetch(-1) == 1 ? "nta" : "l2") : null;
    }

    /** Sets the prefetch hint ({@code "nta"} or {@code "l2"}) between steps: for tests of both instantiations. */
    static void prefetchHint(String hint) {
        if (!available()) {
            throw new IllegalStateException("Cannot use the native decoder: " + UNAVAILABLE);
        }
        if (!"nta".equals(hint) && !"l2".equals(hint)) {
            throw new IllegalArgumentException("Cannot set the prefetch hint: expected nta or l2 (" + hint + ")");
        }
        nativePrefetch(hint.equals("nta") ? 1 : 0);
    }

    /** Why the kernels are not available (null when they are). */
    static String unavailableReason() {
        return UNAVAILABLE;
    }

    /**
     * Binds the kernels to a model's weights, which must be float32 on the CPU and held in the checkpoint's
     * {@code [out, in]} layout ({@link Phi3Weights#rowsLayout}).
     */
    static NativeDecoder create(Phi3Config c, Phi3Weights w, RotaryEmbedding rope) {
        if (!available()) {
            throw new IllegalStateException("Cannot use the native decoder: " + UNAVAILABLE);
        }
        if (!w.rowsLayout || w.finalNorm.getDataType() != DataType.FLOAT32 || w.finalNorm.getDevice().isGpu()) {
            throw new IllegalArgumentException("Cannot use the native decoder: it needs float32 CPU weights in the"
                    + " checkpoint's [out, in] layout (" + w.finalNorm.getDataType() + " on "
                    + w.finalNorm.getDevice() + ")");
        }
        ByteBuffer[] buffers = new ByteBuffer[6 * w.layers.length + 1];
        for (int i = 0; i < w.layers.length; i++) {
            Phi3Weights.Layer l = w.layers[i];
            NDArray[] six = {l.inputNorm(), rows(l.qkv()), rows(l.out()), l.postNorm(), rows(l.gateUp()),
                rows(l.down())};
            for (int j = 0; j < 6; j++) {
                buffers[6 * i + j] = direct(six[j]);
            }
        }
        buffers[buffers.length - 1] = direct(w.finalNorm);
        int[] dims = {c.layers, c.hiddenSize, c.heads, c.kvHeads, c.headDim(), c.rotaryDim(), c.intermediateSize,
            c.vocabSize, rope.originalMaxPositions()};
        long handle = nativeCreate(buffers, direct(w.embed), dims, (float) c.rmsNormEps, rope.shortInvFreq(),
                rope.longInvFreq(), rope.attentionFactor());
        return new NativeDecoder(handle, c, direct(rows(w.lmHead)));
    }

    /** The {@code [out, in]} matrix behind an {@code [in, out]} view: a view of the same memory. */
    private static NDArray rows(NDArray inOut) {
        return inOut.transpose();
    }

    /** Whether a step of {@code rows} rows (batch x sequence) runs here. */
    static boolean takes(long rows) {
        return rows <= MAX_ROWS;
    }

    /**
     * The final hidden states {@code [batch, seq, hidden]} (after the last norm) of {@code tokens [batch, seq]}
     * (int64) at {@code positions [batch or 1, seq]} (float32); the embedding rows and rotary angles are taken
     * here too (as libtorch ops they were ~0.3 ms of a ~11 ms batch-1 step, docs/benchmarks.md). {@code bias}
     * is the additive attention bias {@code [batch or 1, 1, 1, seq, end]} ({@link KvView#bias}), {@code
     * columns [batch or 1, seq]} (int64) where each column's keys and values are written in the layers'
     * caches, every tensor on the CPU.
     */
    NDArray apply(NDManager step, NDArray tokens, NDArray positions, int maxPosition, NDArray bias, NDArray columns,
            NDArray[] keys, NDArray[] values) {
        Shape ts = tokens.getShape();
        int batch = Math.toIntExact(ts.get(0));
        int seq = Math.toIntExact(ts.get(1));
        Shape cs = columns.getShape();
        Shape ps = positions.getShape();
        if (cs.dimension() != 2 || cs.get(1) != seq || (cs.get(0) != 1 && cs.get(0) != batch)
                || ps.dimension() != 2 || ps.get(1) != seq || (ps.get(0) != 1 && ps.get(0) != batch)) {
            throw new IllegalArgumentException("Cannot run the native decoder: write columns " + cs + " or positions "
                    + ps + " do not match the step [" + batch + ", " + seq + "]");
        }
        if (tokens.getDataType() != DataType.INT64 || positions.getDataType() != DataType.FLOAT32) {
            throw new IllegalArgumentException("Cannot run the native decoder: expected int64 tokens and float32"
                    + " positions (" + tokens.getDataType() + ", " + positions.getDataType() + ")");
        }
        int[] shape = {batch, seq, Math.toIntExact(bias.getShape().get(4)), Math.toIntExact(keys[0].getShape().get(2)),
            Math.toIntExact(ps.get(0)), Math.toIntExact(bias.getShape().get(0)), Math.toIntExact(cs.get(0)),
            maxPosition};
        NDArray out = step.create(new Shape(batch, seq, config.hiddenSize), DataType.FLOAT32);
        nativeDecode(handle, direct(tokens), direct(positions), direct(out), direct(bias), direct(columns), cache(keys),
                cache(values), shape);
        return out;
    }

    /**
     * Buffers a generation loop keeps for its decode steps through {@link #decodeLogits}: inputs, hidden
     * states and logits in direct memory made once (grown when a step needs more), and the KV caches'
     * buffers while the cache keeps its tensors. With them a step makes no tensor and opens no manager:
     * that work around the two native calls cost ~4% of a batch-1 step, run cold after each step streams
     * the weights through the caches (docs/benchmarks.md). One per loop; not thread-safe.
     */
    static final class Scratch {
        private ByteBuffer tokens;
        private ByteBuffer positions;
        private ByteBuffer columns;
        private ByteBuffer mask;
        private ByteBuffer hidden;
        private ByteBuffer logits;
        private NDArray[] keys;
        private NDArray[] values;
        private ByteBuffer[] keyBuffers;
        private ByteBuffer[] valueBuffers;

        private static boolean same(NDArray[] a, NDArray[] b) {
            if (b == null || a.length != b.length) {
                return false;
            }
            for (int i = 0; i < a.length; i++) {
                if (a[i] != b[i]) {
                    return false;
                }
            }
            return true;
        }

        /** A buffer of at least {@code bytes}: {@code old} when it is large enough, else a new one. */
        private static ByteBuffer atLeast(ByteBuffer old, long bytes) {
            if (old != null && old.capacity() >= bytes) {
                return old.clear();
            }
            return ByteBuffer.allocateDirect(Math.toIntExact(bytes)).order(ByteOrder.nativeOrder());
        }

        /** Copies a step's inputs in, makes room for its outputs and binds the caches' buffers. */
        private void fill(long[] ids, float[] pos, SlotCache.HostStep step, Phi3Config c) {
            int rows = ids.length;
            bind(step.keys(), step.values());
            tokens = atLeast(tokens, 8L * rows);
            tokens.asLongBuffer().put(ids);
            positions = atLeast(positions, 4L * rows);
            positions.asFloatBuffer().put(pos);
            columns = atLeast(columns, 8L * rows);
            columns.asLongBuffer().put(step.columns());
            mask = atLeast(mask, 4L * step.mask().length);
            mask.asFloatBuffer().put(step.mask());
            hidden = atLeast(hidden, 4L * rows * c.hiddenSize);
            logits = atLeast(logits, 4L * rows * c.vocabSize);
        }

        /** The caches' buffers, looked up again only when the cache replaced a tensor (rows left). */
        private void bind(NDArray[] k, NDArray[] v) {
            if (!same(k, keys) || !same(v, values)) {
                keyBuffers = cache(k);
                valueBuffers = cache(v);
                keys = k;
                values = v;
            }
        }
    }

    /**
     * Logits {@code [rows, vocab]} of one decode column per row, from arrays (the slot cache's decode step,
     * {@link SlotCache.HostStep}) into {@code s}'s buffer, which the next call overwrites: the same two
     * native calls as {@link #apply} and {@link #logits}, without a tensor. {@code positions} are each row's
     * position; {@code mask [rows, end]} is the additive attention bias.
     */
    FloatBuffer decodeLogits(Scratch s, long[] ids, float[] positions, int maxPosition, SlotCache.HostStep step) {
        int rows = ids.length;
        if (!takes(rows) || positions.length != rows || step.columns().length != rows
                || step.mask().length != (long) rows * step.end()) {
            throw new IllegalArgumentException("Cannot run the native decoder: " + rows + " ids, " + positions.length
                    + " positions, " + step.columns().length + " write columns and a mask of " + step.mask().length
                    + " floats do not make one step of at most " + MAX_ROWS + " rows");
        }
        s.fill(ids, positions, step, config);
        int[] shape = {rows, 1, step.end(), Math.toIntExact(step.keys()[0].getShape().get(2)), rows, rows, rows,
            maxPosition};
        nativeDecode(handle, s.tokens, s.positions, s.hidden, s.mask, s.columns, s.keyBuffers, s.valueBuffers, shape);
        nativeProduct(s.hidden, lmHead, s.logits, rows, config.hiddenSize, config.vocabSize);
        return s.logits.asFloatBuffer().limit(rows * config.vocabSize);
    }

    /** {@code hidden [..., hidden] x lmHead} as float32 logits {@code [..., vocab]}, on hidden's manager. */
    NDArray logits(NDArray hidden) {
        Shape s = hidden.getShape();
        int k = config.hiddenSize;
        int rows = Math.toIntExact(s.size() / k);
        long[] dims = s.getShape().clone();
        dims[dims.length - 1] = config.vocabSize;
        NDArray y = hidden.getManager().create(new Shape(dims), DataType.FLOAT32);
        nativeProduct(direct(hidden), lmHead, direct(y), rows, k, config.vocabSize);
        return y;
    }

    /**
     * {@code y [rows, out] = x [rows, in] . w [out, in]^T} through the kernels a step's products take (the
     * tile depends on the row count), on the pool's threads; outputs a kernel did not write read NaN. For
     * checking the kernels against a reference ({@code NativeDecoderTest}).
     */
    static float[] product(float[] x, float[] w, int rows, int in, int out) {
        if (!available()) {
            throw new IllegalStateException("Cannot use the native decoder: " + UNAVAILABLE);
        }
        if ((long) rows * in != x.length || (long) out * in != w.length) {
            throw new IllegalArgumentException("Cannot multiply: x has " + x.length + " floats and w " + w.length
                    + ", expected rows x in and out x in (" + rows + ", " + in + ", " + out + ")");
        }
        ByteBuffer y = floats(filled(rows * out, Float.NaN));
        nativeProduct(floats(x), floats(w), y, rows, in, out);
        float[] result = new float[rows * out];
        y.asFloatBuffer().get(result);
        return result;
    }

    /**
     * Each row's greedy token from logits {@code [rows, vocab]} in a direct buffer ({@link #decodeLogits}'s):
     * the first largest logit's index, or {@link Sampler#NON_FINITE} for a row holding a NaN or an infinity,
     * as {@link Sampler}'s Java loops pick them, in one vectorized pass and no copy.
     */
    static long[] greedy(FloatBuffer logits, int rows, int vocab) {
        if (!available()) {
            throw new IllegalStateException("Cannot use the native decoder: " + UNAVAILABLE);
        }
        long[] tokens = new long[rows];
        nativeArgMax(logits, rows, vocab, tokens);
        return tokens;
    }

    /**
     * {@link HostDraw}'s weights of {@code scores[offset, offset + vocab)}: {@code weight[i] = e^((s_i - max) /
     * temperature)} in double (four lanes, within an ulp of {@link Math#exp}), their sum as the return value,
     * and each weight added to its bucket's mass and count in index order: 2.5-4x faster than the Java loop,
     * whose {@code Math.exp} was ~70% of a sampled row's draw (docs/benchmarks.md). A row holding NaN or an
     * infinity (which {@link Sampler} never draws from) gets finite weights here where the Java loop's are NaN.
     */
    static double weigh(float[] scores, int offset, int vocab, double temperature, double[] weight,
            double[] bucketMass, int[] bucketCount) {
        if (!available()) {
            throw new IllegalStateException("Cannot use the native decoder: " + UNAVAILABLE);
        }
        return nativeWeigh(scores, offset, vocab, temperature, weight, bucketMass, bucketCount);
    }

    private static float[] filled(int n, float value) {
        float[] a = new float[n];
        Arrays.fill(a, value);
        return a;
    }

    private static ByteBuffer floats(float[] a) {
        ByteBuffer b = ByteBuffer.allocateDirect(4 * a.length).order(ByteOrder.nativeOrder());
        b.asFloatBuffer().put(a);
        return b;
    }

    private static ByteBuffer[] cache(NDArray[] buffers) {
        ByteBuffer[] out = new ByteBuffer[buffers.length];
        for (int i = 0; i < buffers.length; i++) {
            out[i] = direct(buffers[i]);
            // A strided cache would come back as a copy: the step's writes would be lost.
            if (out[i].capacity() != buffers[i].getShape().size() * 4) {
                throw new IllegalArgumentException("Cannot run the native decoder: a KV-cache buffer is not contiguous");
            }
        }
        return out;
    }

    /** The tensor's own memory (a contiguous copy's when it is a strided view). */
    private static ByteBuffer direct(NDArray a) {
        if (a.getDataType() != DataType.FLOAT32 && a.getDataType() != DataType.INT64) {
            throw new IllegalArgumentException("Cannot run the native decoder: expected float32 tensors ("
                    + a.getDataType() + " " + a.getShape() + ")");
        }
        ByteBuffer b = JniUtils.getByteBuffer((PtNDArray) a, true);
        if (!b.isDirect()) {
            throw new IllegalArgumentException("Cannot run the native decoder: libtorch gave no direct buffer ("
                    + a.getShape() + ")");
        }
        return b;
    }

    private static String loadLibrary() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "");
        if (!os.startsWith("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            return "built for Linux x86-64 only (" + os + " " + arch + ")";
        }
        try (InputStream in = NativeDecoder.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                return "the library is not in the jar (built with -DskipNative or without gcc)";
            }
            Path file = Files.createTempFile("phi4decode", ".so");
            try {
                Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
                System.load(file.toString());
            } finally {
                // Linux keeps a loaded library mapped after its file is gone: deleting now, not at exit, leaves
                // nothing behind when an executor is killed (SIGKILL runs no exit hooks).
                Files.deleteIfExists(file);
            }
            if (!nativeSupported()) {
                return "this CPU lacks AVX2 or FMA";
            }
            ai.djl.engine.Engine.getEngine("PyTorch"); // loads libtorch, whose thread count the pool takes
            int threads = nativeStart(Math.max(1, JniUtils.getNumThreads()));
            LOG.debug("Native decoder on {} threads", threads);
            return null;
        } catch (IOException | RuntimeException | UnsatisfiedLinkError e) {
            LOG.warn("Native decoder unavailable ({}); using libtorch", e.getMessage());
            return String.valueOf(e.getMessage());
        }
    }

    @Override
    public void close() {
        nativeFree(handle);
    }

    private static native boolean nativeSupported();

    private static native int nativeStart(int threads);

    private static native boolean nativeHugePages(ByteBuffer memory, boolean collapse);

    private static native double nativeWeigh(float[] scores, int offset, int vocab, double temperature,
            double[] weight, double[] bucketMass, int[] bucketCount);

    private static native long nativeCreate(ByteBuffer[] weights, ByteBuffer embed, int[] dims, float eps,
            float[] shortInvFreq, float[] longInvFreq, float attentionFactor);

    private static native void nativeFree(long handle);

    private static native void nativeDecode(long handle, ByteBuffer tokens, ByteBuffer positions, ByteBuffer out,
            ByteBuffer bias, ByteBuffer columns, ByteBuffer[] keys, ByteBuffer[] values, int[] shape);

    private static native void nativeProduct(ByteBuffer x, ByteBuffer w, ByteBuffer y, int rows, int in, int out);

    private static native int nativePrefetch(int hint);

    private static native long nativeAddress(ByteBuffer buffer);

    private static native void nativeArgMax(FloatBuffer logits, int rows, int vocab, long[] tokens);
}
