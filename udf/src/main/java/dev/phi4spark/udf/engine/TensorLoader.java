package dev.phi4spark.udf.engine;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
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
 * bf16 value is the top half of a float32) and never reaches DJL as BF16. Tensors are read in chunks of
 * rows so that no single buffer exceeds {@link #CHUNK_BYTES} (Phi-4's 2 GB float32 embedding included).
 */
final class TensorLoader {

    /** Upper bound of one chunk's float32 bytes; far under the 2 GiB limit of a ByteBuffer. */
    static final long CHUNK_BYTES = 256L << 20;

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
        long rows = expectedShape.length == 0 ? 1 : expectedShape[0];
        long rowElements = rows == 0 ? 0 : info.elementCount() / rows;
        long rowsPerChunk = Math.max(1, chunkBytes / Math.max(1, rowElements * 4));
        if (rows <= rowsPerChunk) {
            return toDtype(name, checkFinite(name, read(info, 0, rows, rowElements, new Shape(expectedShape))));
        }
        NDList parts = new NDList();
        try {
            for (long r = 0; r < rows; r += rowsPerChunk) {
                long n = Math.min(rowsPerChunk, rows - r);
                long[] partShape = expectedShape.clone();
                partShape[0] = n;
                parts.add(toDtype(name, checkFinite(name, read(info, r, n, rowElements, new Shape(partShape)))));
            }
            return NDArrays.concat(parts, 0);
        } finally {
            parts.close();
        }
    }

    /**
     * Refuses NaN and infinite weights: they turn every logit into NaN, and a NaN score or a sampled
     * "!!!!" would pass as a result. One pass over values already in memory, cheap next to reading them.
     */
    private NDArray checkFinite(String name, NDArray array) {
        long bad;
        try (NDManager scratch = manager.newSubManager()) {
            array.tempAttach(scratch);
            bad = array.isNaN().logicalOr(array.isInfinite()).countNonzero().getLong();
        }
        if (bad > 0) {
            array.close();
            throw new ModelLoadException("Cannot load model: tensor '" + name + "' has " + bad
                    + " NaN or infinite value(s), so the checkpoint is damaged (" + checkpoint.fileOf(name).path() + ")");
        }
        return array;
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
     * Reads rows of a tensor into a host tensor of its own, moves it to the model's device (on the CPU it
     * stays as it is) and hands it to the model's manager; on a GPU the host copy is freed as soon as the
     * device has its own. No mapping of the file or Java direct buffer is left for the garbage collector: on a
     * GPU each chunk used to be a mapping, and a BF16 chunk also a float32 direct buffer (twice the
     * checkpoint's bytes over a load), all held until collected.
     */
    private NDArray read(SafetensorsFile.TensorInfo info, long firstRow, long rows, long rowElements, Shape shape) {
        SafetensorsFile file = checkpoint.fileOf(info.name());
        int srcBytes = info.dtype().bytes();
        long offset = firstRow * rowElements * srcBytes;
        int length = Math.toIntExact(rows * rowElements * srcBytes);
        try (NDManager host = manager.getEngine().newBaseManager(Device.cpu())) {
            NDArray array = readOnHost(host, file, info, offset, length, shape).toDevice(manager.getDevice(), false);
            array.attach(manager);
            return array;
        }
    }

    /**
     * Reads the bytes into memory libtorch allocates, rather than handing libtorch the file's mapping: the
     * native decoder's multi-row products ran 10-20% slower over the checkpoint's mapped pages than over
     * the process's own (batch-8 decode 5-10%, batch 32 16%, docs/benchmarks.md), a closed model's mappings
     * stayed resident until garbage collection, and a rewrite of the file in place would change a mapped
     * model's weights. BF16 is read into the upper half of the float32 memory and widened there, so no
     * second buffer (and no Java direct memory) is needed.
     */
    private static NDArray readOnHost(NDManager host, SafetensorsFile file, SafetensorsFile.TensorInfo info,
            long offset, int length, Shape shape) {
        SafetensorsDType src = info.dtype();
        NDArray array = host.create(shape, src == SafetensorsDType.F16 ? DataType.FLOAT16 : DataType.FLOAT32);
        if (length == 0) {
            return array;
        }
        try {
            ByteBuffer memory = JniUtils.getByteBuffer((PtNDArray) array, true);
            if (!memory.isDirect()) {
                throw new IllegalStateException("Cannot load tensor '" + info.name()
                        + "': libtorch gave no direct buffer for its memory (" + shape + ")");
            }
            if (src != SafetensorsDType.BF16) {
                file.read(info, offset, memory);
                return array;
            }
            file.read(info, offset, memory.duplicate().position(length).slice());
            widenBf16InPlace(memory, length / 2);
            return array;
        } catch (RuntimeException e) {
            array.close();
            throw e;
        }
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

    /** Values beyond float16's range are clamped and reported, never silently turned into infinity. */
    private NDArray toFloat16(String name, NDArray array) {
        try (NDManager scratch = manager.newSubManager()) {
            NDArray wide = array.toType(DataType.FLOAT32, false);
            wide.attach(scratch);
            long outside = wide.abs().gt(F16_MAX).countNonzero().getLong();
            if (outside > 0) {
                LOG.warn("Tensor '{}' has {} values outside the float16 range (|x| > {}): clamped to it",
                        name, outside, F16_MAX);
                wide = wide.clip(-F16_MAX, F16_MAX);
            }
            NDArray half = wide.toType(DataType.FLOAT16, false);
            half.attach(manager);
            return half;
        }
    }
}
