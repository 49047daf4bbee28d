package dev.phi4spark.udf.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.phi4spark.udf.engine.SamplingField;
import dev.phi4spark.udf.engine.SamplingParams;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.StringArrayParam;
import org.junit.jupiter.api.Test;

/** The sampling table and what is made from it: the defaults, the partial-setting keys, the Spark params. */
class SamplingFieldsTest {

    @Test
    void everyComponentHasOneRowAndTheDefaultsComeFromTheRows() {
        List<String> components = Arrays.stream(SamplingParams.class.getRecordComponents())
                .map(RecordComponent::getName).toList();
        assertThat(SamplingParams.FIELDS).extracting(SamplingField::javaName)
                .containsExactlyInAnyOrderElementsOf(components);
        assertThat(SamplingParams.DEFAULTS).isEqualTo(new SamplingParams(0.7, 0, 0.95, 1.0, 512, 0, List.of()));
        for (SamplingField<?> f : SamplingParams.FIELDS) {
            assertThat(f.get(SamplingParams.DEFAULTS)).as(f.name()).isEqualTo(f.defaultValue());
            assertThat(SamplingParams.field(f.name())).isSameAs(f);
        }
        assertThat(SamplingParams.KEYS).containsExactly("temperature", "top_k", "top_p", "repetition_penalty",
                "max_new_tokens", "stop");
        assertThat(SamplingParams.greedy(9)).isEqualTo(new SamplingParams(0, 0, 1, 1, 9, 0, List.of()));
        assertThat(SamplingParams.sample(0.5, 0.8, 7, 3)).isEqualTo(new SamplingParams(0.5, 0, 0.8, 1, 7, 3,
                List.of()));
    }

    @Test
    void aPartialSettingIsReadByTheTable() {
        SamplingParams p = SamplingParams.DEFAULTS.withSeed(4).over(Map.of("top_k", 5L, "temperature", 1,
                "stop", List.of("END")));
        assertThat(p).isEqualTo(new SamplingParams(1.0, 5, 0.95, 1.0, 512, 4, List.of("END")));
        assertThatThrownBy(() -> SamplingParams.checkKeys(Map.of("seed", 3)))
                .hasMessage("Cannot use sampling key 'seed': expected one of " + SamplingParams.KEYS + " (seed).");
        assertThatThrownBy(() -> SamplingParams.checkKeys(Map.of("top_k", 1.5)))
                .hasMessage("Cannot use sampling key 'top_k': expected an integer (1.5).");
        assertThatThrownBy(() -> SamplingParams.checkKeys(Map.of("stop", List.of(1))))
                .hasMessage("Cannot use sampling key 'stop': expected a list of strings ([1]).");
        assertThatThrownBy(() -> SamplingParams.DEFAULTS.over(Map.of("top_p", 2.0)))
                .hasMessage("Cannot use sampling parameters: top_p must be in (0, 1] (2.0)");
    }

    @Test
    void theGeneratorHasOneParamPerFieldUnderItsOldNamesWithTheTablesDefault() {
        Phi4Generator g = new Phi4Generator();
        List<String> names = Arrays.stream(g.params()).map(Param::name).toList();
        for (SamplingField<?> f : SamplingParams.FIELDS) {
            Param<Object> p = g.param(f);
            assertThat(p.name()).isEqualTo(f.javaName());
            assertThat(p.doc()).isEqualTo(f.doc());
            assertThat(names).contains(f.javaName());
            assertThat(g.hasParam(f.javaName())).isTrue();
        }
        assertThat(g.maxNewTokens()).isInstanceOf(IntParam.class).isSameAs(g.param(SamplingParams.MAX_NEW_TOKENS));
        assertThat(g.temperature()).isInstanceOf(DoubleParam.class).isSameAs(g.param(SamplingParams.TEMPERATURE));
        assertThat(g.topP().name()).isEqualTo("topP");
        assertThat(g.topK().name()).isEqualTo("topK");
        assertThat(g.repetitionPenalty().name()).isEqualTo("repetitionPenalty");
        assertThat(g.stopStrings()).isInstanceOf(StringArrayParam.class).isSameAs(g.param(SamplingParams.STOP));
        assertThat(g.seed()).isInstanceOf(LongParam.class).isSameAs(g.param(SamplingParams.SEED));
        assertThat(g.samplingParams()).isEqualTo(SamplingParams.DEFAULTS);
        assertThat(g.getOrDefault(g.maxNewTokens())).isEqualTo(512);
    }

    @Test
    void theSettersTheTableAndACopyAgree() {
        Phi4Generator g = new Phi4Generator().setMaxNewTokens(9).setTemperature(0).setTopP(0.5).setTopK(3)
                .setRepetitionPenalty(1.2).setStopStrings("\n\n").setSeed(11);
        SamplingParams expected = new SamplingParams(0, 3, 0.5, 1.2, 9, 11, List.of("\n\n"));
        assertThat(g.samplingParams()).isEqualTo(expected);
        assertThat(new Phi4Generator().setSamplingParams(expected).samplingParams()).isEqualTo(expected);
        assertThat(new Phi4Generator().setSampling(SamplingParams.STOP, List.of("END"))
                .setSampling(SamplingParams.TOP_K, 2).samplingParams())
                .isEqualTo(SamplingParams.DEFAULTS.over(Map.of("stop", List.of("END"), "top_k", 2)));
        assertThat(((Phi4Generator) g.copy(new org.apache.spark.ml.param.ParamMap())).samplingParams())
                .isEqualTo(expected);
        assertThatThrownBy(() -> new Phi4Generator().setTopP(0).samplingParams())
                .hasMessage("Cannot use sampling parameters: top_p must be in (0, 1] (0.0)");
    }
}
