package dev.phi4spark.udf.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Resolves the files of a model snapshot folder so that none is read from outside it: a {@code config.json}
 * that is a symbolic link to {@code /etc/shadow} would otherwise be read, and its parse error would echo
 * the content. Links inside the folder are fine, and so are the links of a Hugging Face cache snapshot
 * ({@code models--org--name/snapshots/<rev>/config.json -> ../../blobs/<hash>}), which stay inside the
 * repository's cache folder.
 */
public final class SnapshotFiles {

    private SnapshotFiles() {}

    /**
     * A file of the snapshot, checked to resolve inside it. A missing file is returned as is: callers
     * report absence in their own words.
     *
     * @param dir the snapshot folder
     * @param name a file name inside it, such as {@code config.json}
     * @return {@code dir.resolve(name)}
     * @throws ModelLoadException if the file, after following links, lies outside the folder
     */
    public static Path resolve(Path dir, String name) {
        Path file = dir.resolve(name);
        if (!Files.exists(file)) {
            return file;
        }
        try {
            Path real = file.toRealPath();
            for (Path root : roots(dir)) {
                if (real.startsWith(root)) {
                    return file;
                }
            }
        } catch (IOException e) {
            throw new ModelLoadException("Cannot load model: cannot resolve " + file + " (" + e.getMessage() + ")", e);
        }
        throw new ModelLoadException("Cannot load model: " + name + " in " + dir + " is a link to a file outside"
                + " the model folder (copy the file into the folder instead of linking it)");
    }

    /** The folder itself and, for a Hugging Face cache snapshot, the repository's blobs folder. */
    private static List<Path> roots(Path dir) throws IOException {
        List<Path> roots = new ArrayList<>();
        Path real = dir.toRealPath();
        roots.add(real);
        Path lexical = dir.toAbsolutePath().normalize();
        Path snapshots = lexical.getParent();
        if (snapshots != null && snapshots.getFileName() != null
                && snapshots.getFileName().toString().equals("snapshots") && snapshots.getParent() != null) {
            Path blobs = snapshots.getParent().resolve("blobs");
            if (Files.isDirectory(blobs)) {
                roots.add(blobs.toRealPath());
            }
        }
        return roots;
    }
}
