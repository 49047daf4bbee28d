package dev.phi4spark.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

class SparkSessionsTest {

    @Test
    void anEmbeddedMasterRebuildsDeltaStateInTwoTasksPerCore() {
        assertThat(SparkSessions.tuneLocal(new SparkConf(false).setMaster("local[2]")).get(SparkSessions.SNAPSHOT_PARTITIONS))
                .isEqualTo("4");
        assertThat(SparkSessions.tuneLocal(new SparkConf(false).setMaster("local[3,2]")).get(SparkSessions.SNAPSHOT_PARTITIONS))
                .isEqualTo("6");
        assertThat(SparkSessions.tuneLocal(new SparkConf(false).setMaster("local[*]")).get(SparkSessions.SNAPSHOT_PARTITIONS))
                .isEqualTo(Integer.toString(2 * Runtime.getRuntime().availableProcessors()));
        assertThat(SparkSessions.tuneLocal(new SparkConf(false).setMaster("local")).get(SparkSessions.SNAPSHOT_PARTITIONS))
                .isEqualTo("2");
    }

    @Test
    void aUsersValueAndAClusterMasterAreLeftAlone() {
        SparkConf set = new SparkConf(false).setMaster("local[2]").set(SparkSessions.SNAPSHOT_PARTITIONS, "50");
        assertThat(SparkSessions.tuneLocal(set).get(SparkSessions.SNAPSHOT_PARTITIONS)).isEqualTo("50");
        SparkConf yarn = new SparkConf(false).setMaster("yarn");
        assertThat(SparkSessions.tuneLocal(yarn).contains(SparkSessions.SNAPSHOT_PARTITIONS)).isFalse();
    }
}
