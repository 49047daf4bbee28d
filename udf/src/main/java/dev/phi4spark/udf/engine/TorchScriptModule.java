package dev.phi4spark.udf.engine;

import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.JniUtils;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * A TorchScript module made from TorchScript source, without Python: the archive {@code torch.jit.save}
 * writes for a module with one class, no parameters and no constants. It is how the engine reaches
 * libtorch operators DJL 0.36 does not expose (fused attention), through the TorchScript interpreter
 * libtorch already ships.
 */
final class TorchScriptModule {

    private TorchScriptModule() {}

    /**
     * The archive of a parameterless module: {@code className} must be defined in {@code source} as a
     * subclass of {@code Module} that declares {@code training : bool}.
     */
    static byte[] archive(String className, String source) {
        if (!className.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new IllegalArgumentException("Cannot write TorchScript module: bad class name (" + className + ")");
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            // libtorch takes the archive's folder from the first entry and reads "version" before anything.
            store(zip, "version", "3\n".getBytes(StandardCharsets.US_ASCII));
            store(zip, "data.pkl", modulePickle(className));
            store(zip, "code/__torch__.py", source.getBytes(StandardCharsets.UTF_8));
            store(zip, "constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'}); // an empty tuple
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Loads the module onto {@code manager}, which then owns it. */
    static PtSymbolBlock load(NDManager manager, String className, String source) {
        try {
            return JniUtils.loadModule((PtNDManager) manager, new ByteArrayInputStream(archive(className, source)),
                    false, false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Pickle protocol 2 of {@code __torch__.className()} with {@code {"training": False}} as its state,
     * as TorchScript's pickler writes a module object.
     */
    private static byte[] modulePickle(String className) {
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.write(0x80);                                           // PROTO 2
        p.write(2);
        p.writeBytes(("c__torch__\n" + className + "\n").getBytes(StandardCharsets.US_ASCII)); // GLOBAL
        p.write(')');                                            // EMPTY_TUPLE
        p.write(0x81);                                           // NEWOBJ
        p.write('}');                                            // EMPTY_DICT
        p.write('(');                                            // MARK
        byte[] name = "training".getBytes(StandardCharsets.US_ASCII);
        p.write('X');                                            // BINUNICODE, little-endian u32 length
        p.write(name.length);
        p.write(0);
        p.write(0);
        p.write(0);
        p.writeBytes(name);
        p.write(0x89);                                           // NEWFALSE: eval mode
        p.write('u');                                            // SETITEMS
        p.write('b');                                            // BUILD
        p.write('.');                                            // STOP
        return p.toByteArray();
    }

    /** An uncompressed entry under the archive's folder, as PyTorch's own writer stores records. */
    private static void store(ZipOutputStream zip, String name, byte[] data) throws IOException {
        ZipEntry entry = new ZipEntry("archive/" + name);
        entry.setMethod(ZipEntry.STORED);
        entry.setSize(data.length);
        entry.setCompressedSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        entry.setCrc(crc.getValue());
        zip.putNextEntry(entry);
        zip.write(data);
        zip.closeEntry();
    }
}
