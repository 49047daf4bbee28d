package dev.phi4spark.jobs;

import dev.phi4spark.filters.DocumentFilter;
import dev.phi4spark.filters.FilterResult;
import dev.phi4spark.filters.heuristic.C4QualityFilter;
import dev.phi4spark.filters.heuristic.FineWebQualityFilter;
import dev.phi4spark.filters.heuristic.GopherQualityFilter;
import dev.phi4spark.filters.heuristic.GopherRepetitionFilter;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;

/**
 * The heuristic filters as flags for scoring: each document gets the reasons of the filters that would
 * reject it (empty when all pass), rather than being removed. Corpora are scored, not filtered.
 */
public final class HeuristicFlags {

    private HeuristicFlags() {}

    /** {@code array<string>} of reject reasons of the Gopher, C4 and FineWeb filters at their defaults. */
    public static Column flags(Column text) {
        List<DocumentFilter> filters = List.of(new GopherQualityFilter(), new GopherRepetitionFilter(),
                new C4QualityFilter(), new FineWebQualityFilter());
        UDF1<String, List<String>> check = doc -> {
            List<String> reasons = new ArrayList<>();
            for (DocumentFilter f : filters) {
                FilterResult r = f.apply(doc);
                if (!r.kept()) {
                    reasons.add(r.reason());
                }
            }
            return reasons;
        };
        UserDefinedFunction udf = functions.udf(check, DataTypes.createArrayType(DataTypes.StringType));
        return udf.apply(text);
    }
}
