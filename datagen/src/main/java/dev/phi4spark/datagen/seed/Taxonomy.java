package dev.phi4spark.datagen.seed;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.phi4spark.udf.spark.HadoopFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The topic taxonomy of the synthetic-data recipes: subject, topic, subtopic, plus the audiences,
 * styles and difficulties a text can be written for. Read from YAML ({@code conf/taxonomy.yaml}, or
 * the copy bundled at {@value #RESOURCE}).
 *
 * @param subjects the subjects, each with its topics
 * @param audiences for example "middle school"
 * @param styles for example "Socratic dialogue"
 * @param difficulties for example "introductory"
 */
public record Taxonomy(
        @JsonProperty("subjects") List<Subject> subjects,
        @JsonProperty("audiences") List<String> audiences,
        @JsonProperty("styles") List<String> styles,
        @JsonProperty("difficulties") List<String> difficulties) implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Classpath location of the bundled copy of {@code conf/taxonomy.yaml}. */
    public static final String RESOURCE = "datagen/taxonomy.yaml";

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /**
     * One subject.
     *
     * @param name for example "Algebra"
     * @param area a coarse grouping: math, science, code, humanities or everyday
     * @param topics its topics
     */
    public record Subject(@JsonProperty("name") String name, @JsonProperty("area") String area,
            @JsonProperty("topics") List<Topic> topics) implements Serializable {
        private static final long serialVersionUID = 1L;

        /** Null lists become empty ones. */
        @JsonCreator
        public Subject {
            topics = topics == null ? List.of() : List.copyOf(topics);
        }
    }

    /**
     * One topic.
     *
     * @param name for example "Linear equations"
     * @param subtopics its subtopics, possibly none
     */
    public record Topic(@JsonProperty("name") String name, @JsonProperty("subtopics") List<String> subtopics)
            implements Serializable {
        private static final long serialVersionUID = 1L;

        /** Null lists become empty ones. */
        @JsonCreator
        public Topic {
            subtopics = subtopics == null ? List.of() : List.copyOf(subtopics);
        }
    }

    /**
     * A leaf of the tree: what one text is about.
     *
     * @param subject the subject's name
     * @param topic the topic's name
     * @param subtopic the subtopic, or null for a topic without subtopics
     */
    public record Leaf(String subject, String topic, String subtopic) implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    /** Checks that every list is non-empty and names are unique where they must be. */
    @JsonCreator
    public Taxonomy {
        subjects = List.copyOf(require(subjects, "subjects"));
        audiences = List.copyOf(requireNames(audiences, "audiences"));
        styles = List.copyOf(requireNames(styles, "styles"));
        difficulties = List.copyOf(requireNames(difficulties, "difficulties"));
        Set<String> seen = new HashSet<>();
        for (Subject s : subjects) {
            requireName(s.name(), "subject name");
            if (!seen.add(s.name())) {
                throw invalid("duplicate subject", s.name());
            }
            require(s.topics(), "topics of " + s.name());
            Set<String> topicNames = new HashSet<>();
            for (Topic t : s.topics()) {
                requireName(t.name(), "topic name in " + s.name());
                if (!topicNames.add(t.name())) {
                    throw invalid("duplicate topic in " + s.name(), t.name());
                }
                t.subtopics().forEach(st -> requireName(st, "subtopic of " + t.name()));
            }
        }
    }

    private static <T> List<T> require(List<T> list, String what) {
        if (list == null || list.isEmpty()) {
            throw invalid(what + " must not be empty", list);
        }
        return list;
    }

    private static List<String> requireNames(List<String> list, String what) {
        require(list, what).forEach(n -> requireName(n, what));
        if (new HashSet<>(list).size() != list.size()) {
            throw invalid(what + " has duplicates", list);
        }
        return list;
    }

    private static void requireName(String name, String what) {
        if (name == null || name.isBlank()) {
            throw invalid(what + " must not be blank", name);
        }
    }

    private static IllegalArgumentException invalid(String why, Object value) {
        return new IllegalArgumentException("Cannot use taxonomy: " + why + " (" + value + ")");
    }

    /** Reads a taxonomy YAML file. */
    public static Taxonomy load(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read taxonomy " + file + ": " + e.getMessage(), e);
        }
    }

    /** The bundled copy of {@code conf/taxonomy.yaml}. */
    public static Taxonomy bundled() {
        try (InputStream in = Taxonomy.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("Cannot read taxonomy: resource " + RESOURCE + " is missing");
            }
            return read(in, RESOURCE);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read taxonomy " + RESOURCE + ": " + e.getMessage(), e);
        }
    }

    /** Reads a taxonomy YAML file from a path or a Hadoop URI ({@code hdfs:}, {@code s3a:}, ...). */
    public static Taxonomy load(String location) {
        if (!HadoopFiles.isUri(location)) {
            return load(Path.of(location));
        }
        try (InputStream in = HadoopFiles.open(location)) {
            return read(in, location);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read taxonomy " + location + ": " + e.getMessage(), e);
        }
    }

    /** {@link #load} for a non-empty location, else {@link #bundled}. */
    public static Taxonomy loadOrBundled(String path) {
        return path == null || path.isBlank() ? bundled() : load(path);
    }

    private static Taxonomy read(InputStream in, String where) throws IOException {
        try {
            return YAML.readValue(in, Taxonomy.class);
        } catch (com.fasterxml.jackson.databind.JsonMappingException e) {
            Throwable cause = e.getCause() instanceof IllegalArgumentException ? e.getCause() : e;
            throw new IllegalArgumentException("Cannot read taxonomy " + where + ": " + cause.getMessage(), e);
        }
    }

    /** Every (subject, topic, subtopic), in file order; a topic without subtopics is one leaf. */
    public List<Leaf> leaves() {
        List<Leaf> out = new ArrayList<>();
        for (Subject s : subjects) {
            for (Topic t : s.topics()) {
                if (t.subtopics().isEmpty()) {
                    out.add(new Leaf(s.name(), t.name(), null));
                }
                for (String st : t.subtopics()) {
                    out.add(new Leaf(s.name(), t.name(), st));
                }
            }
        }
        return out;
    }

    /** The subjects whose name or area is in {@code keep} (all when it is empty). */
    public Taxonomy restrictSubjects(Set<String> keep) {
        if (keep.isEmpty()) {
            return this;
        }
        List<Subject> kept = subjects.stream().filter(s -> keep.contains(s.name()) || keep.contains(s.area())).toList();
        if (kept.isEmpty()) {
            throw invalid("no subject or area matches", keep);
        }
        return new Taxonomy(kept, audiences, styles, difficulties);
    }

    /** The same taxonomy with other audiences, styles and difficulties (nulls keep the current ones). */
    public Taxonomy withAxes(List<String> newAudiences, List<String> newStyles, List<String> newDifficulties) {
        return new Taxonomy(subjects, newAudiences == null ? audiences : newAudiences,
                newStyles == null ? styles : newStyles, newDifficulties == null ? difficulties : newDifficulties);
    }
}
