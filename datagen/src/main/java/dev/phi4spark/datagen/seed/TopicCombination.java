package dev.phi4spark.datagen.seed;

import dev.phi4spark.datagen.Ids;
import java.io.Serializable;

/**
 * One drawn (subtopic, audience, style, difficulty) combination. Axes a recipe does not use are null.
 *
 * @param subject the subject
 * @param topic the topic
 * @param subtopic the subtopic, or null
 * @param audience the audience, or null
 * @param style the style, or null
 * @param difficulty the difficulty, or null
 * @param replica 0 on the first pass over the combination space; n on its (n+1)-th pass, when more
 *     combinations were requested than exist
 */
public record TopicCombination(String subject, String topic, String subtopic, String audience, String style,
        String difficulty, int replica) implements Serializable {

    private static final long serialVersionUID = 1L;

    /** The seed id: a hash of every field, so equal combinations of different passes still differ. */
    public String seedId() {
        return Ids.hash("topic", subject, topic, subtopic, audience, style, difficulty, Integer.toString(replica));
    }
}
