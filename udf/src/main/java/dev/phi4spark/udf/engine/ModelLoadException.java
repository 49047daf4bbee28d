package dev.phi4spark.udf.engine;

/** A model snapshot that cannot be loaded: missing files, unknown architecture, bad tensors. */
public class ModelLoadException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ModelLoadException(String message) {
        super(message);
    }

    public ModelLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
