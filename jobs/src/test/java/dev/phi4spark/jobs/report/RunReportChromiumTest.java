package dev.phi4spark.jobs.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phi4spark.jobs.PipelineFixture;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code phi4spark report} on a real local pipeline run, rendered by headless Chromium: the charts are in
 * the DOM with real sizes and bars, and the screenshot shows them. Skipped where Chromium is missing
 * ({@code .ci/install-test-deps.sh} installs it).
 */
class RunReportChromiumTest {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");

    private static PipelineFixture run;

    @TempDir
    Path tmp;

    @BeforeAll
    static void pipeline() {
        run = PipelineFixture.get();
    }

    @Test
    void thePipelineWroteItsReportNextToTheWarehouse() {
        Path expected = run.root().resolve("phi4spark-work").resolve("reports").resolve(run.runId() + ".html");
        assertThat(run.output()).contains("Run report: " + expected);
        assertThat(expected).isRegularFile();
    }

    @Test
    void theReportRendersItsChartsInChromium() throws Exception {
        Path html = tmp.resolve("report.html");
        PipelineFixture.Result r = PipelineFixture.cli(run.args("report", "--run", run.runId(), "--out", html.toString()));
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("Run report: " + html + System.lineSeparator());
        String source = Files.readString(html);
        assertThat(source).contains(run.runId()).doesNotContain("<script").doesNotContain("https:")
                .doesNotContain("class=\"nodata\"");

        Assumptions.assumeTrue(Files.isExecutable(CHROMIUM), "Chromium is not installed: " + CHROMIUM
                + " is missing (run .ci/install-test-deps.sh)");
        String dom = chromium(html, "--dump-dom");
        List<String> svgs = matches(dom, "<svg class=\"chart\"[^>]*>");
        // funnel, recipes, judge score, perplexity, length, scoring throughput, model throughput per stage
        assertThat(svgs).hasSize(7);
        for (String svg : svgs) {
            assertThat(attribute(svg, "width")).isPositive();
            assertThat(attribute(svg, "height")).isPositive();
        }
        List<Double> bars = matches(dom, "<rect class=\"bar\"[^>]*>").stream().map(b -> attribute(b, "height")).toList();
        assertThat(bars).hasSizeGreaterThan(6).anyMatch(h -> h > 10);
        assertThat(dom).contains("<title>input: 12</title>")
                .contains("<title>token_length: " + run.funnel("token_length")[1] + "</title>");

        Path png = tmp.resolve("report.png");
        chromium(html, "--screenshot=" + png);
        keepForPeople(html, png);
        BufferedImage image = ImageIO.read(png.toFile());
        assertThat(image.getWidth()).isEqualTo(1200);
        Set<Integer> colours = new HashSet<>();
        long funnelGreen = 0;
        long nonWhite = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int rgb = image.getRGB(x, y) & 0xffffff;
                colours.add(rgb);
                nonWhite += rgb == 0xffffff ? 0 : 1;
                funnelGreen += rgb == 0x2f855a ? 1 : 0;
            }
        }
        assertThat(colours).hasSizeGreaterThan(20);
        assertThat(nonWhite).isGreaterThan(50_000);
        assertThat(funnelGreen).as("pixels of the funnel's bars").isGreaterThan(2_000);
    }

    @Test
    void anUnknownRunSaysSo() {
        PipelineFixture.Result r = PipelineFixture.cli(run.args("report", "--run", "nope", "--out",
                tmp.resolve("x.html").toString()));
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.err().strip()).isEqualTo("phi4spark: Cannot write the run report: no run has this id in "
                + run.warehouse().resolve("runs") + " (nope)");
    }

    private String chromium(Path html, String output) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox",
                "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--user-data-dir=" + Files.createTempDirectory(tmp, "chromium"),
                "--window-size=1200,2400", output, html.toUri().toString()));
        Path stdout = tmp.resolve("chromium.out");
        Process p = new ProcessBuilder(command).redirectOutput(stdout.toFile())
                .redirectError(new File("/dev/null")).start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("Chromium finished within 2 minutes").isTrue();
        assertThat(p.exitValue()).as("Chromium's exit status").isZero();
        return Files.readString(stdout, StandardCharsets.UTF_8);
    }

    /** The report and its screenshot stay in target/ to look at (and for CI to keep as artifacts). */
    private static void keepForPeople(Path html, Path png) throws IOException {
        Files.copy(html, Path.of("target", "run-report.html"), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(png, Path.of("target", "run-report.png"), StandardCopyOption.REPLACE_EXISTING);
    }

    private static List<String> matches(String text, String regex) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile(regex).matcher(text);
        while (m.find()) {
            out.add(m.group());
        }
        return out;
    }

    private static double attribute(String element, String name) {
        Matcher m = Pattern.compile("\\s" + name + "=\"([0-9.]+)\"").matcher(element);
        assertThat(m.find()).as("%s has %s", element, name).isTrue();
        return Double.parseDouble(m.group(1));
    }
}
