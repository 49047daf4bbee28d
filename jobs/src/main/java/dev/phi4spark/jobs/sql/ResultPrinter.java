package dev.phi4spark.jobs.sql;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;

/**
 * Prints a query's result as an aligned table (psql's layout: header, separator, rows, row count), CSV
 * with a header, or JSON lines. At most {@code maxRows} rows are fetched, so a {@code SELECT *} over a
 * large table does not pull it all into the driver.
 */
public final class ResultPrinter {

    /** Output formats. */
    public enum Format { TABLE, CSV, JSON }

    private final Format format;
    private final int maxRows;
    private final int truncate;

    /**
     * @param format the output format
     * @param maxRows most rows fetched and printed
     * @param truncate longest table cell in characters (0: no limit); CSV and JSON are never truncated
     */
    public ResultPrinter(Format format, int maxRows, int truncate) {
        this.format = format;
        this.maxRows = maxRows;
        this.truncate = truncate;
    }

    /** Parses {@code table}, {@code csv} or {@code json}. */
    public static Format format(String name) {
        try {
            return Format.valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Cannot print results: unknown format (" + name
                    + "); use table, csv or json");
        }
    }

    /** Prints the result; commands without a result (USE, CREATE VIEW, ...) print nothing. */
    public void print(Dataset<Row> result, PrintWriter out) {
        if (result.schema().fields().length == 0) {
            return;
        }
        if (format == Format.JSON) {
            List<String> lines = result.toJSON().takeAsList(maxRows + 1);
            lines.stream().limit(maxRows).forEach(out::println);
            moreRows(lines.size(), out);
            return;
        }
        List<Row> rows = asStrings(result).takeAsList(maxRows + 1);
        List<String> header = List.of(result.columns());
        List<List<String>> cells = new ArrayList<>();
        rows.stream().limit(maxRows).forEach(r -> cells.add(cells(r)));
        if (format == Format.CSV) {
            printCsv(header, cells, out);
        } else {
            printTable(header, numericColumns(result), cells, out);
        }
        moreRows(rows.size(), out);
        out.flush();
    }

    private void moreRows(int fetched, PrintWriter out) {
        if (fetched > maxRows) {
            out.println("(only the first " + maxRows + " rows are shown: raise --max-rows or add a LIMIT)");
        }
    }

    /** Spark's own text for every type (arrays as [a, b], maps as {k -> v}), the same as spark-sql prints. */
    private static Dataset<Row> asStrings(Dataset<Row> result) {
        // Positional names first: a join's two "id" columns cannot be selected by name.
        int n = result.columns().length;
        String[] positional = new String[n];
        Column[] cols = new Column[n];
        for (int i = 0; i < n; i++) {
            positional[i] = "c" + i;
            cols[i] = functions.col(positional[i]).cast("string");
        }
        return result.toDF(positional).select(cols);
    }

    private static List<String> cells(Row row) {
        List<String> out = new ArrayList<>(row.length());
        for (int i = 0; i < row.length(); i++) {
            out.add(row.isNullAt(i) ? null : row.getString(i));
        }
        return out;
    }

    private static boolean[] numericColumns(Dataset<Row> result) {
        StructField[] fields = result.schema().fields();
        boolean[] numeric = new boolean[fields.length];
        for (int i = 0; i < fields.length; i++) {
            DataType t = fields[i].dataType();
            numeric[i] = t instanceof NumericType;
        }
        return numeric;
    }

    private void printTable(List<String> header, boolean[] numeric, List<List<String>> rows, PrintWriter out) {
        List<List<String>> shown = new ArrayList<>();
        for (List<String> row : rows) {
            List<String> s = new ArrayList<>();
            row.forEach(v -> s.add(tableCell(v)));
            shown.add(s);
        }
        int[] width = new int[header.size()];
        for (int i = 0; i < width.length; i++) {
            width[i] = header.get(i).length();
            for (List<String> row : shown) {
                width[i] = Math.max(width[i], row.get(i).length());
            }
        }
        out.println(line(header, width, new boolean[width.length], true));
        StringBuilder sep = new StringBuilder();
        for (int i = 0; i < width.length; i++) {
            sep.append(i == 0 ? "" : "+").append("-".repeat(width[i] + 2));
        }
        out.println(sep);
        shown.forEach(row -> out.println(line(row, width, numeric, false)));
        out.println("(" + rows.size() + (rows.size() == 1 ? " row)" : " rows)"));
    }

    private String tableCell(String value) {
        if (value == null) {
            return "NULL";
        }
        // One line per row keeps the columns aligned: a completion's newlines are shown escaped.
        String flat = value.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t");
        return truncate > 0 && flat.length() > truncate ? flat.substring(0, Math.max(0, truncate - 3)) + "..." : flat;
    }

    private static String line(List<String> cells, int[] width, boolean[] rightAlign, boolean center) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            String v = cells.get(i);
            int pad = width[i] - v.length();
            String padded = center ? " ".repeat(pad / 2) + v + " ".repeat(pad - pad / 2)
                    : rightAlign[i] ? " ".repeat(pad) + v : v + " ".repeat(pad);
            b.append(i == 0 ? " " : " | ").append(padded);
        }
        return b.toString().stripTrailing();
    }

    private static void printCsv(List<String> header, List<List<String>> rows, PrintWriter out) {
        out.println(csvLine(header));
        rows.forEach(r -> out.println(csvLine(r)));
    }

    private static String csvLine(List<String> cells) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            String v = cells.get(i);
            if (i > 0) {
                b.append(',');
            }
            if (v == null) {
                continue;
            }
            boolean quote = v.isEmpty() || v.indexOf(',') >= 0 || v.indexOf('"') >= 0 || v.indexOf('\n') >= 0
                    || v.indexOf('\r') >= 0;
            b.append(quote ? '"' + v.replace("\"", "\"\"") + '"' : v);
        }
        return b.toString();
    }
}
