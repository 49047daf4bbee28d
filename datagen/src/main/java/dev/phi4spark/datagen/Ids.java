package dev.phi4spark.datagen;

import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sha2;
import static org.apache.spark.sql.functions.substring;
import static org.apache.spark.sql.functions.xxhash64;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.stream.Collectors;
import org.apache.spark.sql.Column;

/**
 * Deterministic ids. Every id is the first 32 hex characters of the SHA-256 of its parts joined by
 * the unit separator U+001F (which never occurs in names, so {@code ("a b", "c")} and
 * {@code ("a", "b c")} differ). Each has a driver-side form and a Spark column form that give the
 * same value; tests hold them together.
 */
public final class Ids {

    /** Joins the hashed parts. */
    public static final String SEPARATOR = "\u001f";

    /** Hex characters kept from the SHA-256. */
    public static final int LENGTH = 32;

    private Ids() {
    }

    /** The id of a list of parts; a null part hashes as the empty string. */
    public static String hash(String... parts) {
        String joined = Arrays.stream(parts).map(p -> p == null ? "" : p).collect(Collectors.joining(SEPARATOR));
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(joined.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest).substring(0, LENGTH);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("Cannot hash: SHA-256 is not available", e);
        }
    }

    /**
     * The column form of {@link #hash}. {@code concat_ws} skips nulls instead of writing an empty part,
     * so every part is coalesced to the empty string first.
     */
    public static Column hash(Column... parts) {
        Column[] safe = Arrays.stream(parts)
                .map(p -> org.apache.spark.sql.functions.coalesce(p.cast("string"), lit("")))
                .toArray(Column[]::new);
        return substring(sha2(concat_ws(SEPARATOR, safe), 256), 1, LENGTH);
    }

    /**
     * A row's id: recipe, seed, variant, model and sampling settings, so a rerun of the same plan on the
     * same model gives the same ids, and any change of these gives new ones.
     */
    public static String rowId(String recipe, String seedId, String variant, String model, String samplingJson) {
        return hash(recipe, seedId, variant, model, samplingJson);
    }

    /** The column form of {@link #rowId} over a {@code seed_id} column. */
    public static Column rowId(String recipe, Column seedId, String variant, String model, String samplingJson) {
        return hash(lit(recipe), seedId, lit(variant), lit(model), lit(samplingJson));
    }

    /**
     * A row's id within a run key (a date, say): the run key is one more hashed part, so each day's rows
     * get their own ids. An empty or null run key gives exactly {@link #rowId(String, String, String,
     * String, String)}, the ids of plans without one.
     */
    public static String rowId(String recipe, String seedId, String variant, String model, String samplingJson,
            String runKey) {
        return runKey == null || runKey.isEmpty() ? rowId(recipe, seedId, variant, model, samplingJson)
                : hash(recipe, seedId, variant, model, samplingJson, runKey);
    }

    /** The column form of {@link #rowId(String, String, String, String, String, String)}. */
    public static Column rowId(String recipe, Column seedId, String variant, String model, String samplingJson,
            String runKey) {
        return runKey == null || runKey.isEmpty() ? rowId(recipe, seedId, variant, model, samplingJson)
                : hash(lit(recipe), seedId, lit(variant), lit(model), lit(samplingJson), lit(runKey));
    }

    /**
     * The seed of one model call: a 64-bit hash of the row id, the step and the sample index. Steps of
     * one row and samples of one question get different seeds; reruns get the same ones.
     */
    public static Column rowSeed(Column id, String step, Column sample) {
        return xxhash64(id, lit(step), sample);
    }
}
