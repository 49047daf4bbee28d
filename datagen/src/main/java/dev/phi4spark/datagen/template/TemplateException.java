package dev.phi4spark.datagen.template;

/** A prompt template that cannot be loaded or rendered; the message names the template and the cause. */
public class TemplateException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /** An error with its full message. */
    public TemplateException(String message) {
        super(message);
    }
}
