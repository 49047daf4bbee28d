package dev.phi4spark.udf.engine;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.nio.ShortBuffer;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns checkpoint tensors into NDArrays of the compute dtype on the manager's device.
 *
 * <p>DJL 0.36 aborts the JVM on any BFLOAT16 NDArray, so BF16 is widened to float32 in Java (exact: a
 * bf16 value is the top half of a float32) and never reaches DJL as BF16. A tensor is read into one host
 * tensor in chunks of rows, each a view of at most {@link #CHUNK_BYTES} (a ByteBuffer holds under 2 GiB;
 * Phi-4's float32 embedding is 2 GB), so no chunk is copied again to be joined.
 */
final class TensorLoader {

    /** Upper bound of one chunk's float32 bytes; far under the 2 GiB limit of a ByteBuffer. */
    static final long CHUNK_BYTES = 256L << 20;

    /**
     * A CPU model's tensors of at least this many bytes get 2 MB pages where the kernel has them: advised before
     * the file is read into them (each 4 KB page's first write is a fault otherwise), and collapsed onto 2 MB
     * pages after the read where malloc handed out memory written before (a JVM that ran other work first).
     * Every decode step streams the weights, and on 4 KB pages the native decoder's products ran 1.1-1.25x
     * slower (docs/benchmarks.md, issue 14). A GPU load's short-lived host copies stay on 4 KB pages (not
     * measured on a GPU).
     */
    static final long HUGE_PAGES_FROM = 4L << 20;

    private static final Logger LOG = LoggerFactory.getLogger(TensorLoader.class);
    private static final float F16_MAX = 65504f;

    private final Checkpoint checkpoint;
    private final NDManager manager;
    private final DataType dtype;
    private final long chunkBytes;

    TensorLoader(Checkpoint checkpoint, NDManager manager, DataType dtype) {
        this(checkpoint, manager, dtype, CHUNK_BYTES);
    }

    /** A loader with another chunk size, so tests can take the chunked path with small tensors. */
    TensorLoader(Checkpoint checkpoint, NDManager manager, DataType dtype, long chunkBytes) {
        this.checkpoint = checkpoint;
        this.manager = manager;
        this.dtype = dtype;
        this.chunkBytes = chunkBytes;
    }

    /** Loads a tensor, checking its shape. */
    NDArray load(String name, long... expectedShape) {
        SafetensorsFile.TensorInfo info = checkHeader(checkpoint, name, expectedShape);
        Chunks chunks = Chunks.of(expectedShape, info.elementCount(), chunkBytes);
        NDArray array;
        // Read on the host into memory libtorch owns, moved to the model's device (on the CPU it stays as it
        // is) and handed to the model's manager; on a GPU the host copy is freed once the device has its own.
        try (NDManager host = manager.getEngine().newBaseManager(Device.cpu())) {
            array = readOnHost(host, info, new Shape(expectedShape), chunks).toDevice(manager.getDevice(), false);
            array.attach(manager);
        }
        NDArray loaded = toDtype(name, checkFinite(name, array));
        collapseHugePages(loaded);
        return loaded;
    }

    /**
     * Moves {@code array}'s pages onto 2 MB pages now where it belongs on them ({@link #onHugePages}); false
     * where it does not or the kernel refused. The contents do not change.
     */
    static boolean collapseHugePages(NDArray array) {
        return onHugePages(array.getDevice(), array.getShape().size() * array.getDataType().getNumOfBytes())
                && NativeDecoder.collapseHugePages(JniUtils.getByteBuffer((PtNDArray) array, true));
    }

    /** Whether {@code bytes} of a tensor on {@code device} belong on 2 MB pages: see {@link #HUGE_PAGES_FROM}. */
    private static boolean onHugePages(Device device, long bytes) {
        return !device.isGpu() && bytes >= HUGE_PAGES_FROM;
    }

    private boolean onHugePages(NDArray array) {
        return onHugePages(manager.getDevice(), array.getShape().size() * array.getDataType().getNumOfBytes());
    }

    /** A tensor's rows in runs of at most {@code chunkBytes} of float32 each (one run for a scalar). */
    private record Chunks(long rows, long rowElements, long rowsPerChunk) {

        static Chunks of(long[] shape, long elements, long chunkBytes) {
            long rows = shape.length == 0 ? 1 : shape[0];
            long rowElements = rows == 0 ? 0 : elements / rows;
            return new Chunks(rows, rowElements, Math.max(1, chunkBytes / Math.max(1, rowElements * 4)));
        }

        /** Rows {@code [first, first + count(first))}: the whole tensor when it is one chunk. */
        NDIndex index(long first) {
            return new NDIndex("{}:{}", first, first + count(first));
        }

        long count(long first) {
            return Math.min(rowsPerChunk, rows - first);
        }

        boolean whole() {
            return rows <= rowsPerChunk;
        }
    }

    /**
     * Refuses NaN and infinite weights: they turn every logit into NaN, and a NaN score or a sampled
     * "!!!!" would pass as a result. Two reductions over values already in memory (the largest and the
     * smallest: NaN propagates through both, an infinity shows in one), no mask; the bad values are counted
     * only for the error. The masks and a count per tensor took most of a CPU load's time (docs/benchmarks.md).
     */
    private NDArray checkFinite(String name, NDArray array) {
        if (array.size() == 0 || finite(array)) {
            return array;
        }
        long bad;
        try (NDManager scratch = manager.newSubManager()) {
            array.tempAttach(scratch);
            bad = array.isNaN().logicalOr(array.isInfinite()).countNonzero().getLong();
        }
        array.close();
        throw new ModelLoadException("Cannot load model: tensor '" + name + "' has " + bad
                + " NaN or infinite value(s), so the checkpoint is damaged (" + checkpoint.fileOf(name).path() + ")");
    }

    private boolean finite(NDArray array) {
        try (NDManager scratch = manager.newSubManager()) {
            array.tempAttach(scratch);
            return Float.isFinite(array.max().toType(DataType.FLOAT32, false).getFloat())
                    && Float.isFinite(array.min().toType(DataType.FLOAT32, false).getFloat());
        }
    }

    /** The tensor's header entry, checked for presence, shape and a dtype this loader reads. */
    static SafetensorsFile.TensorInfo checkHeader(Checkpoint checkpoint, String name, long... expectedShape) {
        SafetensorsFile.TensorInfo info = checkpoint.info(name);
        if (!Arrays.equals(info.shape(), expectedShape)) {
            throw new ModelLoadException("Cannot load model: tensor '" + name + "' has shape "
                    + Arrays.toString(info.shape()) + ", expected " + Arrays.toString(expectedShape)
                    + " (" + checkpoint.fileOf(name).path() + ")");
        }
        SafetensorsDType src = info.dtype();
        if (src != SafetensorsDType.F32 && src != SafetensorsDType.F16 && src != SafetensorsDType.BF16) {
            throw new ModelLoadException("Cannot load model: tensor '" + name + "' has dtype " + src
                    + ", expected F32, F16 or BF16 (" + checkpoint.fileOf(name).path() + ")");
        }
        return info;
    }

    /**
     * Reads the tensor into memory libtorch allocates on the host, rather than handing libtorch the file's
     * mapping: the native decoder's multi-row products ran 10-20% slower over the checkpoint's mapped pages
     * than over the process's own (batch-8 decode 5-10%, batch 32 16%, docs/benchmarks.md), a closed model's
     * mappings stayed resident until garbage collection, and a rewrite of the file in place would change a
     * mapped model's weights. On a GPU each chunk used to be a mapping and, for BF16, also a float32 Java
     * direct buffer, all held until collected. BF16 is read into the upper half of each chunk's float32
     * memory and widened there, so no second buffer (and no Java direct memory) is needed.
     */
    private NDArray readOnHost(NDManager host, SafetensorsFile.TensorInfo info, Shape shape, Chunks chunks) {
        SafetensorsFile file = checkpoint.fileOf(info.name());
        SafetensorsDType src = info.dtype();
        NDArray array = allocate(host, shape, src == SafetensorsDType.F16 ? DataType.FLOAT16 : DataType.FLOAT32);
        try {
            if (onHugePages(array)) {
                NativeDecoder.adviseHugePages(JniUtils.getByteBuffer((PtNDArray) array, true));
            }
            for (long r = 0; r < chunks.rows(); r += chunks.rowsPerChunk()) {
                long offset = r * chunks.rowElements() * src.bytes();
                int length = Math.toIntExact(chunks.count(r) * chunks.rowElements() * src.bytes());
                if (length == 0) {
                    continue;
                }
                try (NDManager views = host.newSubManager()) {
                    NDArray part = chunks.whole() ? array : array.get(views, chunks.index(r)); // a view: same memory
                    ByteBuffer memory = JniUtils.getByteBuffer((PtNDArray) part, true);
                    if (!memory.isDirect()) {
                        throw new IllegalStateException("Cannot load tensor '" + info.name()
                                + "': libtorch gave no direct buffer for its memory (" + shape + ")");
                    }
                    if (src != SafetensorsDType.BF16) {
                        file.read(info, offset, memory);
                    } else {
                        file.read(info, offset, memory.duplicate().position(length).slice());
                        widenBf16InPlace(memory, length / 2);
                    }
                }
            }
            return array;
        } catch (RuntimeException e) {
            array.close();
            throw e;
        }
    }

    /**
     * Host memory for a tensor: for one that goes on 2 MB pages, a view that starts at a 2 MB boundary of an
     * array 2 MB larger, else what libtorch allocates. libtorch aligns to 64 bytes only, so up to 2 MB at each
     * end of a tensor stayed on 4 KB pages: a fifth of the 150M bench model's step weights, whose products then
     * ran 8 rows 1.03x and one row 1.06x slower on an Intel Xeon than on aligned weights (docs/benchmarks.md,
     * issue 14). The padding is never written, so it takes address space, not memory. The view keeps the
     * array's storage alive after the array's handle is closed with {@code host}.
     */
    private NDArray allocate(NDManager host, Shape shape, DataType type) {
        long huge = 2L << 20;
        if (!onHugePages(manager.getDevice(), shape.size() * type.getNumOfBytes()) || !NativeDecoder.available()) {
            return host.create(shape, type);
        }
        NDArray padded = host.create(new Shape(shape.size() + huge / type.getNumOfBytes()), type);
        long address = NativeDecoder.address(JniUtils.getByteBuffer((PtNDArray) padded, true));
        long skip = address == 0 ? 0 : Math.floorMod(-address, huge) / type.getNumOfBytes();
        return padded.get(new NDIndex("{}:{}", skip, skip + shape.size())).reshape(shape);
    }

    /**
     * Widens {@code n} little-endian bf16 values held in the upper half of {@code memory} ({@code 4n} bytes)
     * into the {@code n} float32 values the whole of it holds afterwards. Front to back, value i is read
     * before float i is written, and float i's bytes {@code [4i, 4i + 4)} end at or before value i + 1's
     * (at {@code 2n + 2i + 2}), so no value is overwritten before it is read.
     */
    static void widenBf16InPlace(ByteBuffer memory, int n) {
        ShortBuffer in = memory.duplicate().position(2 * n).slice().order(ByteOrder.LITTLE_ENDIAN).asShortBuffer();
        IntBuffer out = memory.duplicate().order(ByteOrder.nativeOrder()).asIntBuffer();
        for (int i = 0; i < n; i++) {
            out.put(i, (in.get(i) & 0xFFFF) << 16);
        }
    }

    private NDArray toDtype(String name, NDArray array) {
        if (array.getDataType() == dtype) {
            return array;
        }
        try (array) {
            if (dtype == DataType.FLOAT16) {
                return toFloat16(name, array);
            }
            return array.toType(dtype, false);
        }
    }

    /**
     * Values beyond float16's range are clamped and reported, never silently turned into infinity. As for
     * {@link #checkFinite}, the largest and smallest values decide; the values outside are counted only for
     * the report.
     */
    private NDArray toFloat16(String name, NDArray array) {
        try (NDManager scratch = manager.newSubManager()) {
            NDArray wide = array.toType(DataType.FLOAT32, false);
            wide.tempAttach(scratch);
            if (wide.size() > 0 && (wide.max().getFloat() > F16_MAX || wide.min().getFloat() < -F16_MAX)) {
                LOG.warn("Tensor '{}' has {} values outside the float16 range (|x| > {}): clamped to it",
                        name, wide.abs().gt(F16_MAX).countNonzero().getLong(), F16_MAX);
                wide = wide.clip(-F16_MAX, F16_MAX);
            }
            NDArray half = wide.toType(DataType.FLOAT16, false);
            half.attach(manager);
            return half;
        }
    }
}
