package dev.phi4spark.datagen.template;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.lit;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Column;

/**
 * A prompt with named placeholders such as {@code {{topic}}}, loaded from
 * {@code templates/<name>.txt} on the classpath or from a folder that overrides it.
 *
 * <p>Each recipe declares the placeholders its rows provide, and the template is checked against them
 * when it loads: a placeholder the recipe does not know, or a known one the template never uses, is an
 * error then, on the driver, rather than a silently wrong prompt on thousands of rows.
 */
public final class PromptTemplate implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Classpath folder of the bundled templates. */
    public static final String RESOURCE_DIR = "templates/";
    /** File name suffix of templates. */
    public static final String SUFFIX = ".txt";

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{\\s*([^{}]*?)\\s*}}");
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_]*");

    private final String name;
    private final String text;
    private final List<String> parts;
    private final Set<String> placeholders;

    private PromptTemplate(String name, String text, List<String> parts, Set<String> placeholders) {
        this.name = name;
        this.text = text;
        this.parts = parts;
        this.placeholders = placeholders;
    }

    /** Loads a bundled template and checks it against the recipe's placeholders. */
    public static PromptTemplate load(String name, Set<String> known) {
        return load(name, known, null);
    }

    /**
     * Loads {@code <name>.txt} from {@code overrideDir} when that folder has it, else the bundled one,
     * and checks it against the recipe's placeholders.
     *
     * @throws TemplateException if it is missing or its placeholders do not match {@code known}
     */
    public static PromptTemplate load(String name, Set<String> known, Path overrideDir) {
        return parse(name, read(name, overrideDir), known);
    }

    /**
     * Parses template text and checks its placeholders.
     *
     * @throws TemplateException naming the template and the placeholder at fault
     */
    public static PromptTemplate parse(String name, String text, Set<String> known) {
        List<String> parts = new ArrayList<>();
        Set<String> used = new LinkedHashSet<>();
        Matcher m = PLACEHOLDER.matcher(text);
        int last = 0;
        while (m.find()) {
            String placeholder = m.group(1);
            if (!NAME.matcher(placeholder).matches()) {
                throw fail(name, "malformed placeholder " + m.group() + " (names are lower_snake_case)");
            }
            if (!known.contains(placeholder)) {
                throw fail(name, "unknown placeholder {{" + placeholder + "}} (known: " + String.join(", ", known) + ")");
            }
            parts.add(text.substring(last, m.start()));
            parts.add(placeholder);
            used.add(placeholder);
            last = m.end();
        }
        parts.add(text.substring(last));
        checkLeftovers(name, parts);
        for (String k : known) {
            if (!used.contains(k)) {
                throw fail(name, "missing placeholder {{" + k + "}}: the recipe provides it but the template never uses"
                        + " it (known: " + String.join(", ", known) + ")");
            }
        }
        return new PromptTemplate(name, text, List.copyOf(parts), Collections.unmodifiableSet(used));
    }

    /** Braces left in literal text are a placeholder typo ({@code {topic}}, {@code {{topic}}), not prose. */
    private static void checkLeftovers(String name, List<String> parts) {
        for (int i = 0; i < parts.size(); i += 2) {
            String literal = parts.get(i);
            int at = Math.max(literal.indexOf("{{"), literal.indexOf("}}"));
            if (at >= 0) {
                String around = literal.substring(Math.max(0, at - 20), Math.min(literal.length(), at + 20)).strip();
                throw fail(name, "unbalanced braces near '" + around + "'");
            }
        }
    }

    private static String read(String name, Path overrideDir) {
        if (overrideDir != null) {
            Path file = overrideDir.resolve(name + SUFFIX);
            if (Files.isRegularFile(file)) {
                try {
                    return Files.readString(file, StandardCharsets.UTF_8);
                } catch (IOException e) {
                    throw new UncheckedIOException("Cannot load template '" + name + "': " + e.getMessage(), e);
                }
            }
        }
        String resource = RESOURCE_DIR + name + SUFFIX;
        try (InputStream in = PromptTemplate.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw fail(name, "no resource " + resource
                        + (overrideDir == null ? "" : " and no file " + overrideDir.resolve(name + SUFFIX)));
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot load template '" + name + "': " + e.getMessage(), e);
        }
    }

    private static TemplateException fail(String name, String why) {
        return new TemplateException("Cannot load template '" + name + "': " + why);
    }

    /** The template's name (its file name without {@value #SUFFIX}). */
    public String name() {
        return name;
    }

    /** The raw text. */
    public String text() {
        return text;
    }

    /** The placeholders used, in order of first use. */
    public Set<String> placeholders() {
        return placeholders;
    }

    /**
     * Fills the placeholders on the driver.
     *
     * @throws TemplateException if a placeholder has no value
     */
    public String render(Map<String, String> values) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < parts.size(); i++) {
            String part = parts.get(i);
            if (i % 2 == 0) {
                out.append(part);
            } else {
                String v = values.get(part);
                if (v == null) {
                    throw new TemplateException("Cannot render template '" + name + "': no value for {{" + part + "}}");
                }
                out.append(v);
            }
        }
        return out.toString();
    }

    /**
     * Fills the placeholders with columns: a Spark expression, so prompts are built on the executors
     * with no UDF. A null value renders as the empty string, so one missing field does not null the
     * whole prompt.
     *
     * @throws TemplateException if a placeholder has no column
     */
    public Column toColumn(Map<String, Column> values) {
        List<Column> pieces = new ArrayList<>();
        for (int i = 0; i < parts.size(); i++) {
            String part = parts.get(i);
            if (i % 2 == 0) {
                if (!part.isEmpty()) {
                    pieces.add(lit(part));
                }
            } else {
                Column v = values.get(part);
                if (v == null) {
                    throw new TemplateException("Cannot render template '" + name + "': no column for {{" + part + "}}");
                }
                pieces.add(coalesce(v.cast("string"), lit("")));
            }
        }
        return pieces.isEmpty() ? lit("") : concat(pieces.toArray(Column[]::new));
    }
}
