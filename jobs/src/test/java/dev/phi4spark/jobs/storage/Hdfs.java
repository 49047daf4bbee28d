package dev.phi4spark.jobs.storage;

import dev.phi4spark.jobs.TempFolders;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;

/**
 * A real HDFS for the storage tests: an in-process {@link MiniDFSCluster} (one NameNode, one DataNode) on
 * 127.0.0.1, the Hadoop version Spark 4.0 ships (3.4.1), stopped with the JVM.
 */
public final class Hdfs implements AutoCloseable {

    private final MiniDFSCluster cluster;
    private boolean closed;

    private Hdfs(MiniDFSCluster cluster) {
        this.cluster = cluster;
    }

    /** Starts a one-DataNode cluster with its storage in a temporary folder. */
    public static Hdfs start() {
        try {
            Path dir = TempFolders.create("minidfs");
            Configuration conf = new Configuration();
            conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, dir.toString());
            conf.set("dfs.namenode.rpc-address", "127.0.0.1:0");
            conf.set("dfs.datanode.address", "127.0.0.1:0");
            conf.set("dfs.datanode.http.address", "127.0.0.1:0");
            conf.set("dfs.datanode.ipc.address", "127.0.0.1:0");
            conf.set("dfs.namenode.http-address", "127.0.0.1:0");
            conf.setBoolean("dfs.permissions.enabled", false);
            MiniDFSCluster cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).format(true).build();
            cluster.waitActive();
            Hdfs hdfs = new Hdfs(cluster);
            Runtime.getRuntime().addShutdownHook(new Thread(hdfs::close));
            return hdfs;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code hdfs://127.0.0.1:port/path}. */
    public String uri(String path) {
        return "hdfs://127.0.0.1:" + cluster.getNameNodePort() + "/" + path.replaceFirst("^/+", "");
    }

    /**
     * Stops the NameNode and DataNode; their storage goes with the JVM ({@link TempFolders}). Not {@code
     * cluster.shutdown()}: it also clears Hadoop's {@code ShutdownHookManager}, through which Spark registers
     * its own hooks, so the test JVM's Spark then ended unstopped at exit and left its {@code spark-*},
     * {@code blockmgr-*} and {@code artifacts-*} folders in /tmp after every suite run.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        cluster.shutdownDataNodes();
        cluster.shutdownNameNodes();
    }
}
