package dev.phi4spark.udf.engine;

/** The safetensors dtypes this project reads or writes. */
public enum SafetensorsDType {
    F32(4), F16(2), BF16(2), F64(8), I64(8), I32(4), I16(2), I8(1), U8(1), BOOL(1);

    private final int bytes;

    SafetensorsDType(int bytes) {
        this.bytes = bytes;
    }

    /** Bytes per element. */
    public int bytes() {
        return bytes;
    }

    /** The dtype for a header's name, or null when unknown. */
    public static SafetensorsDType parse(String name) {
        if (name == null) {
            return null;
        }
        for (SafetensorsDType t : values()) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        return null;
    }
}
