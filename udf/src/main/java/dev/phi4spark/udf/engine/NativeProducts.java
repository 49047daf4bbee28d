package dev.phi4spark.udf.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decode-sized products on the CPU, {@code [rows, in] x [in, out]} for 1 to {@link #MAX_ROWS} rows in
 * float32, by the project's own AVX2 kernel ({@code udf/src/main/c/phi4kernels.c}, built with the module
 * on Linux x86-64 and shipped in its jar). libtorch gives such products to MKL, which reads a weight at
 * one core's bandwidth for one row and multiplies a few rows far below the FMA rate; a decode step is
 * such a product over every weight, so this kernel sets decode speed on a CPU (docs/benchmarks.md). It
 * reads libtorch's tensors in place through direct buffers: no copy of the weights, which keep their
 * contiguous {@code [in, out]} layout. Where the library or AVX2/FMA is missing, {@link #available}
 * says so and the engine keeps libtorch's products.
 */
final class NativeProducts {

    /** Most rows a native product takes: beyond it libtorch's GEMM is as fast (docs/benchmarks.md). */
    static final int MAX_ROWS = 32;
    private static final Logger LOG = LoggerFactory.getLogger(NativeProducts.class);
    private static final String RESOURCE = "/native/linux-x86_64/libphi4kernels.so";
    private static final String UNAVAILABLE = loadLibrary();

    private NativeProducts() {}

    /** Whether the kernel loaded and this CPU has AVX2 and FMA. */
    static boolean available() {
        return UNAVAILABLE == null;
    }

    /** Why the kernel is not available (null when it is). */
    static String unavailableReason() {
        return UNAVAILABLE;
    }

    /** A weight matrix as the kernel reads it: a contiguous float32 {@code [in, out]} CPU tensor. */
    record Weight(ByteBuffer buffer, int in, int out) {

        static Weight of(NDArray w) {
            Shape s = w.getShape();
            if (s.dimension() != 2 || w.getDataType() != DataType.FLOAT32 || w.getDevice().isGpu()) {
                throw new IllegalArgumentException("Cannot use a native product: expected a float32 [in, out] CPU"
                        + " matrix (" + s + " " + w.getDataType() + " on " + w.getDevice() + ")");
            }
            return new Weight(direct(w), Math.toIntExact(s.get(0)), Math.toIntExact(s.get(1)));
        }
    }

    /**
     * {@code x . w} for {@code x [..., in]} of at most {@link #MAX_ROWS} rows, as a new float32 array
     * {@code [..., out]} on {@code step}. {@code x} must be contiguous (libtorch's outputs are).
     */
    static NDArray multiply(NDManager step, NDArray x, Weight w) {
        Shape xs = x.getShape();
        long rows = xs.size() / w.in();
        if (xs.get(xs.dimension() - 1) != w.in() || rows > MAX_ROWS || x.getDataType() != DataType.FLOAT32) {
            throw new IllegalArgumentException("Cannot use a native product: expected at most " + MAX_ROWS
                    + " float32 rows of " + w.in() + " (" + xs + " " + x.getDataType() + ")");
        }
        long[] dims = xs.getShape();
        dims[dims.length - 1] = w.out();
        NDArray y = step.create(new Shape(dims), DataType.FLOAT32);
        nativeProduct(direct(x), w.buffer(), direct(y), (int) rows, w.in(), w.out());
        return y;
    }

    /**
     * {@code x . w} for the {@code rows} rows of a contiguous {@code x [..., in]} into the first rows of
     * {@code y}, a direct buffer of at least {@code rows x out} floats (a workspace's).
     */
    static void multiplyInto(NDArray x, Weight w, ByteBuffer y, int rows) {
        if (x.getShape().size() != (long) rows * w.in() || rows > MAX_ROWS || x.getDataType() != DataType.FLOAT32) {
            throw new IllegalArgumentException("Cannot use a native product: expected " + rows + " float32 rows of "
                    + w.in() + " (" + x.getShape() + " " + x.getDataType() + ")");
        }
        nativeProduct(direct(x), w.buffer(), y, rows, w.in(), w.out());
    }

    /** The tensor's own memory (a contiguous copy's when it is a strided view). */
    static ByteBuffer direct(NDArray a) {
        ByteBuffer b = JniUtils.getByteBuffer((PtNDArray) a, true);
        if (!b.isDirect()) {
            throw new IllegalArgumentException("Cannot use a native product: libtorch gave a copy, not the tensor's"
                    + " memory (" + a.getShape() + ")");
        }
        return b;
    }

    private static String loadLibrary() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "");
        if (!os.startsWith("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            return "built for Linux x86-64 only (" + os + " " + arch + ")";
        }
        try (InputStream in = NativeProducts.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                return "the library is not in the jar (built without gcc?)";
            }
            Path file = Files.createTempFile("phi4kernels", ".so");
            file.toFile().deleteOnExit();
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            System.load(file.toString());
            if (!nativeSupported()) {
                return "this CPU lacks AVX2 or FMA";
            }
            ai.djl.engine.Engine.getEngine("PyTorch"); // loads libtorch, whose thread count the pool takes
            int threads = nativeStart(Math.max(1, JniUtils.getNumThreads()));
            LOG.debug("Native products on {} threads", threads);
            return null;
        } catch (IOException | RuntimeException | UnsatisfiedLinkError e) {
            LOG.warn("Native products unavailable ({}); using libtorch's", e.getMessage());
            return e.getMessage();
        }
    }

    private static native boolean nativeSupported();

    private static native int nativeStart(int threads);

    private static native void nativeProduct(ByteBuffer x, ByteBuffer w, ByteBuffer y, int rows, int in, int out);
}
