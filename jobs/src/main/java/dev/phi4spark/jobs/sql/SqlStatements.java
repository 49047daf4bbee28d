package dev.phi4spark.jobs.sql;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits SQL text into statements at the semicolons that end them: not those inside quotes, backticks or
 * comments, since a completion or a regex in a query may well contain one.
 */
public final class SqlStatements {

    private SqlStatements() {}

    /** The complete statements of {@code text}, trimmed, without their semicolons; blank ones dropped. */
    public static List<String> split(String text) {
        Scan scan = scan(text);
        List<String> out = new ArrayList<>(scan.statements);
        if (!scan.rest.isBlank() && !onlyComments(scan.rest)) {
            out.add(scan.rest.trim());
        }
        return out;
    }

    /**
     * The REPL's view of its buffer: the complete statements so far, and the unfinished text after the
     * last semicolon (kept for the next line).
     */
    public static Scan scan(String text) {
        List<String> statements = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        char quote = 0;
        boolean lineComment = false;
        boolean blockComment = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            char next = i + 1 < text.length() ? text.charAt(i + 1) : 0;
            if (lineComment) {
                lineComment = c != '\n';
            } else if (blockComment) {
                if (c == '*' && next == '/') {
                    blockComment = false;
                    current.append(c);
                    c = next;
                    i++;
                }
            } else if (quote != 0) {
                if (c == '\\' && quote != '`' && next != 0) {
                    current.append(c);
                    c = next;
                    i++;
                } else if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '"' || c == '`') {
                quote = c;
            } else if (c == '-' && next == '-') {
                lineComment = true;
            } else if (c == '/' && next == '*') {
                blockComment = true;
            } else if (c == ';') {
                addIfNotBlank(statements, current.toString());
                current.setLength(0);
                continue;
            }
            current.append(c);
        }
        return new Scan(statements, current.toString());
    }

    private static void addIfNotBlank(List<String> statements, String statement) {
        if (!statement.isBlank() && !onlyComments(statement)) {
            statements.add(statement.trim());
        }
    }

    private static boolean onlyComments(String text) {
        String stripped = text.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("--[^\\n]*", " ");
        return stripped.isBlank();
    }

    /**
     * @param statements the complete statements
     * @param rest the text after the last complete statement
     */
    public record Scan(List<String> statements, String rest) {}
}
