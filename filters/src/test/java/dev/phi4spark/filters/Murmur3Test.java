package dev.phi4spark.filters;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.hash.Hashing;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class Murmur3Test {

    @Test
    void matchesGuavasMurmur3X64128OnUtf16LeBytes() {
        // Guava comes with Spark on the test classpath; it serves as the reference implementation.
        String[] samples = {"", "a", "abcd", "abcdefg", "abcdefgh", "abcdefghi", "héllo wörld ✓",
                "The quick brown fox jumps over the lazy dog"};
        for (String s : samples) {
            for (int seed : new int[] {0, 42, 0x5eed1}) {
                long expected = Hashing.murmur3_128(seed)
                        .hashBytes(s.getBytes(StandardCharsets.UTF_16LE)).asLong();
                assertThat(Murmur3.hash64(s, seed)).as("%s / %d", s, seed).isEqualTo(expected);
            }
        }
    }

    @Test
    void hashesASubrangeLikeTheSubstring() {
        String s = "xxThe quick brown foxyy";
        assertThat(Murmur3.hash64(s, 2, s.length() - 2, 7))
                .isEqualTo(Murmur3.hash64(s.substring(2, s.length() - 2), 7));
    }
}
