package dev.phi4spark.jobs.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phi4spark.datagen.PairSchema;
import dev.phi4spark.jobs.delta.TableStore;
import org.junit.jupiter.api.Test;

/** The tables each job command lists in its closing summary. */
class JobCommandsTest {

    @Test
    void pipelineSummaryListsEveryTableItsStagesWrite() {
        // pipeline runs generate, filter and score: its summary must list what each of them would.
        assertThat(new JobCommands.Pipeline().outputs()).containsExactly(TableStore.SYNTHETIC_RAW, PairSchema.TABLE,
                TableStore.SYNTHETIC_CURATED, TableStore.SYNTHETIC_REJECTED, TableStore.CORPUS_SCORES);
        assertThat(PairSchema.TABLE).isEqualTo("preference_pairs");
    }
}
