package dev.phi4spark.jobs.config;

/** A configuration mistake the user can fix; its message is one sentence naming the key and the fix. */
public class ConfigException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }
}
