package dev.phi4spark.jobs.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Which configuration values are credentials, and their masked form. A name is a secret when it holds
 * {@code password}, {@code passwd}, {@code secret}, {@code credential} or {@code token} anywhere, in any
 * case ({@code spark.ssl.keyStorePassword}, {@code fs.s3a.secretkey}), a credential form of {@code key}
 * ({@code access.key}, {@code encryption.key}, {@code server-side-encryption.key}, {@code account.key},
 * {@code private.key}, {@code api-key}, ...) or a {@code sas} segment, or when it matches Spark's own
 * {@code spark.redaction.regex}. A secret name masks its whole value, whatever its shape (text, number,
 * list, map); other values are walked, and URIs with a password ({@code s3a://user:pw@host}) or
 * {@code password=...} pairs inside text are masked too.
 */
public final class Secrets {

    /** What a masked value shows. */
    public static final String MASK = "*****";

    /**
     * Names of credentials. {@code token} is a secret unless it is the plural or a tokenizer: the
     * settings {@code sampling.max_new_tokens} and {@code score.window_tokens} are counts, not tokens.
     */
    private static final Pattern NAME = Pattern.compile("(?i).*(password|passwd|pwd|secret|credential"
            + "|token(?!s([._-]|$)|izer)"
            + "|(access|account|private|api|encryption|sse|signing|master|client|session|auth)[._-]?key"
            + "|(^|[._-])sas([._-]|$)).*");
    /** Spark's default {@code spark.redaction.regex}. */
    private static final Pattern SPARK_DEFAULT = Pattern.compile("(?i)secret|password|token|access[.]key");
    /** A password inside a URI's user info. */
    private static final Pattern URI_PASSWORD = Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*://[^/@\\s:]*:)[^/@\\s]+@");
    /** {@code password=x} pairs in JDBC URLs, query strings and the like. */
    private static final Pattern PAIR = Pattern.compile(
            "(?i)((?:password|passwd|pwd|secret|token|access[._-]?key|secret[._-]?key|sig)=)[^;&\\s,\"]+");

    private Secrets() {}

    /** True when a key of this name holds a credential. */
    public static boolean isSecretName(String name) {
        return NAME.matcher(name).matches();
    }

    /** Text with URI passwords and {@code password=...} pairs masked. */
    public static String maskText(String text) {
        if (text == null) {
            return null;
        }
        String masked = URI_PASSWORD.matcher(text).replaceAll("$1" + MASK + "@");
        return PAIR.matcher(masked).replaceAll("$1" + MASK);
    }

    /**
     * A masked copy of a value of key {@code name}: the whole value when the name is a secret, else a
     * copy with every nested secret masked. {@code sparkRegex} is the session's {@code spark.redaction.regex}
     * (null: Spark's default), applied to the names inside {@code spark.conf}.
     */
    public static Object redact(String name, Object value, Pattern sparkRegex) {
        if (value == null) {
            return null;
        }
        if (isSecretName(name)) {
            return MASK;
        }
        if (value instanceof JsonNode node) {
            boolean spark = name.equals(ConfigKeys.SPARK_CONF.name());
            return redactTree(node.deepCopy(), spark ? sparkRegex : null);
        }
        return value instanceof String s ? maskText(s) : value;
    }

    /**
     * A recorded config (JSON text, as the {@code runs} table holds it) masked again with today's rules:
     * rows written by an older phi4spark may hold what its narrower pattern missed.
     */
    public static String redactJson(String json) {
        try {
            com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper();
            JsonNode root = mapper.readTree(json);
            if (!(root instanceof ObjectNode obj)) {
                return maskText(json);
            }
            Pattern sparkRegex = sparkRegex(obj.get(ConfigKeys.SPARK_CONF.name()));
            ObjectNode out = mapper.createObjectNode();
            obj.fields().forEachRemaining(f -> out.set(f.getKey(), mapper.valueToTree(
                    redact(f.getKey(), f.getValue(), sparkRegex))));
            return mapper.writerWithDefaultPrettyPrinter().writeValueAsString(out);
        } catch (java.io.IOException e) {
            return maskText(json);
        }
    }

    /** The {@code spark.redaction.regex} set in {@code spark.conf}, or Spark's default. */
    public static Pattern sparkRegex(JsonNode sparkConf) {
        JsonNode set = sparkConf == null ? null : sparkConf.get("spark.redaction.regex");
        if (set == null || !set.isTextual()) {
            return SPARK_DEFAULT;
        }
        try {
            return Pattern.compile(set.asText());
        } catch (java.util.regex.PatternSyntaxException e) {
            return SPARK_DEFAULT;
        }
    }

    private static JsonNode redactTree(JsonNode node, Pattern sparkRegex) {
        if (node instanceof ObjectNode obj) {
            Iterator<Map.Entry<String, JsonNode>> fields = obj.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> f = fields.next();
                boolean secret = isSecretName(f.getKey())
                        || sparkRegex != null && sparkRegex.matcher(f.getKey()).find();
                f.setValue(secret ? JsonNodeFactory.instance.textNode(MASK) : redactTree(f.getValue(), null));
            }
            return obj;
        }
        if (node instanceof ArrayNode array) {
            for (int i = 0; i < array.size(); i++) {
                array.set(i, redactTree(array.get(i), null));
            }
            return array;
        }
        if (node.isTextual()) {
            String masked = maskText(node.asText());
            return masked.equals(node.asText()) ? node : JsonNodeFactory.instance.textNode(masked);
        }
        return node;
    }
}
