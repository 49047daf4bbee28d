package dev.phi4spark.filters.dedup;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.min;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructType;

/**
 * Connected components of an undirected graph, computed on Spark DataFrames with the alternating
 * large-star / small-star algorithm (Kiveris et al., "Connected Components in MapReduce and
 * Beyond", SoCC 2014), which needs O(log^2 n) rounds. Nothing is collected to the driver: each
 * round is a few joins and aggregations, checkpointed locally to keep the plan short, plus a
 * convergence check that counts offending rows.
 *
 * <p>Vertices may be of any orderable Spark type. The result labels every vertex that has an edge
 * with the smallest vertex of its component.
 */
public final class ConnectedComponents {
    /** Edge and result column names. */
    public static final String SRC = "src";
    public static final String DST = "dst";
    public static final String VERTEX = "vertex";
    public static final String COMPONENT = "component";

    private ConnectedComponents() {}

    /**
     * Edges up to which the components are found on the driver (a union-find over the collected
     * edges, tens of MB at most) instead of by Spark rounds, each of which is several jobs.
     */
    public static final long DEFAULT_LOCAL_EDGES = 250_000;

    /**
     * Components of the graph with edges {@code (src, dst)}; self-loops and duplicate edges are
     * allowed. Returns {@code (vertex, component)} for every vertex on an edge. Graphs of at most
     * {@link #DEFAULT_LOCAL_EDGES} distinct edges are solved on the driver.
     *
     * @throws IllegalStateException when the rounds do not converge within {@code maxRounds}
     */
    public static Dataset<Row> compute(Dataset<Row> edges, int maxRounds) {
        return compute(edges, maxRounds, DEFAULT_LOCAL_EDGES);
    }

    /** As {@link #compute(Dataset, int)}, solving graphs of at most {@code localEdges} edges on the driver. */
    public static Dataset<Row> compute(Dataset<Row> edges, int maxRounds, long localEdges) {
        Dataset<Row> current = edges.select(col(SRC), col(DST)).filter(col(SRC).notEqual(col(DST)))
                .distinct().localCheckpoint();
        if (localEdges > 0 && current.limit((int) Math.min(Integer.MAX_VALUE, localEdges + 1)).count() <= localEdges) {
            return onDriver(current);
        }
        for (int round = 0; round < maxRounds; round++) {
            Dataset<Row> next = smallStar(largeStar(current)).localCheckpoint();
            current = next;
            if (isStarForest(current)) {
                Dataset<Row> children = current.select(col(SRC).as(VERTEX), col(DST).as(COMPONENT));
                Dataset<Row> roots = current.select(col(DST).as(VERTEX), col(DST).as(COMPONENT));
                return children.union(roots).distinct();
            }
        }
        throw new IllegalStateException("Cannot find connected components: no convergence after "
                + maxRounds + " rounds (" + maxRounds + ")");
    }

    /** Union-find over the collected edges; every root is its component's smallest vertex. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Dataset<Row> onDriver(Dataset<Row> edges) {
        Map<Object, Object> parent = new HashMap<>();
        for (Row e : edges.collectAsList()) {
            Object a = root(parent, e.get(0));
            Object b = root(parent, e.get(1));
            if (!a.equals(b)) {
                boolean aFirst = ((Comparable) a).compareTo(b) < 0;
                parent.put(aFirst ? b : a, aFirst ? a : b);
            }
        }
        List<Row> rows = new ArrayList<>(parent.size());
        for (Object vertex : new ArrayList<>(parent.keySet())) {
            rows.add(RowFactory.create(vertex, root(parent, vertex)));
        }
        DataType type = edges.schema().apply(SRC).dataType();
        StructType schema = new StructType().add(VERTEX, type, false).add(COMPONENT, type, false);
        return edges.sparkSession().createDataFrame(rows, schema);
    }

    /** The root of {@code v} (registering it as its own root), halving the path on the way. */
    private static Object root(Map<Object, Object> parent, Object v) {
        Object x = v;
        Object p = parent.computeIfAbsent(x, k -> k);
        while (!p.equals(x)) {
            Object grand = parent.get(p);
            parent.put(x, grand);
            x = grand;
            p = parent.get(x);
        }
        return x;
    }

    private static Dataset<Row> bothDirections(Dataset<Row> e) {
        return e.select(col(SRC).as("u"), col(DST).as("v"))
                .union(e.select(col(DST).as("u"), col(SRC).as("v")));
    }

    /** Each vertex links its larger neighbours to the smallest vertex of its neighbourhood. */
    static Dataset<Row> largeStar(Dataset<Row> e) {
        Dataset<Row> adj = bothDirections(e);
        Dataset<Row> mins = adj.groupBy(col("u")).agg(min(col("v")).as("mv"))
                .select(col("u"), least(col("u"), col("mv")).as("m"));
        return adj.join(mins, "u").filter(col("v").gt(col("u")))
                .select(col("v").as(SRC), col("m").as(DST)).distinct();
    }

    /** Each vertex links itself and its smaller neighbours to the smallest of them. */
    static Dataset<Row> smallStar(Dataset<Row> e) {
        Dataset<Row> smaller = bothDirections(e).filter(col("v").lt(col("u")));
        Dataset<Row> mins = smaller.groupBy(col("u")).agg(min(col("v")).as("m"));
        Dataset<Row> neighbours = smaller.join(mins, "u").select(col("v").as(SRC), col("m").as(DST));
        Dataset<Row> selves = mins.select(col("u").as(SRC), col("m").as(DST));
        return neighbours.union(selves).filter(col(SRC).notEqual(col(DST))).distinct();
    }

    /** True when every child has one parent and no parent is itself a child: disjoint stars. */
    static boolean isStarForest(Dataset<Row> e) {
        boolean twoParents = !e.groupBy(col(SRC)).count().filter(col("count").gt(1)).isEmpty();
        if (twoParents) {
            return false;
        }
        Dataset<Row> parents = e.select(col(DST).as("x")).distinct();
        Dataset<Row> children = e.select(col(SRC).as("x"));
        return parents.join(children, "x").isEmpty();
    }
}
