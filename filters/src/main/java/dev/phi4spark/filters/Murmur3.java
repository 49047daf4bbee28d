package dev.phi4spark.filters;

/**
 * MurmurHash3 x64_128 (Austin Appleby's public-domain algorithm) over the UTF-16LE code units of a
 * string, returning the first 64 bits. Written here so the hashes do not depend on which Guava
 * version Spark happens to ship.
 */
public final class Murmur3 {
    private static final long C1 = 0x87c37b91114253d5L;
    private static final long C2 = 0x4cf5ad432745937fL;

    private Murmur3() {}

    /** First 64 bits of MurmurHash3 x64_128 of {@code s}'s UTF-16LE bytes with {@code seed}. */
    public static long hash64(CharSequence s, int seed) {
        return hash64(s, 0, s.length(), seed);
    }

    /** As {@link #hash64(CharSequence, int)} for the characters {@code [from, to)}. */
    public static long hash64(CharSequence s, int from, int to, int seed) {
        long h1 = seed & 0xffffffffL;
        long h2 = h1;
        int len = to - from;
        int i = from;
        // 8 chars = 16 bytes per block.
        for (; i + 8 <= to; i += 8) {
            long k1 = chars4(s, i);
            long k2 = chars4(s, i + 4);
            h1 ^= mixK1(k1);
            h1 = Long.rotateLeft(h1, 27) + h2;
            h1 = h1 * 5 + 0x52dce729;
            h2 ^= mixK2(k2);
            h2 = Long.rotateLeft(h2, 31) + h1;
            h2 = h2 * 5 + 0x38495ab5;
        }
        int rest = to - i;
        if (rest > 0) {
            long k1 = 0;
            long k2 = 0;
            for (int j = 0; j < rest; j++) {
                long c = s.charAt(i + j);
                if (j < 4) {
                    k1 |= c << (16 * j);
                } else {
                    k2 |= c << (16 * (j - 4));
                }
            }
            if (rest > 4) {
                h2 ^= mixK2(k2);
            }
            h1 ^= mixK1(k1);
        }
        long byteLen = 2L * len;
        h1 ^= byteLen;
        h2 ^= byteLen;
        h1 += h2;
        h2 += h1;
        h1 = fmix64(h1);
        h2 = fmix64(h2);
        h1 += h2;
        return h1;
    }

    /** MurmurHash3's 64-bit finaliser: a cheap, well-mixing bijection on longs. */
    public static long fmix64(long k) {
        k ^= k >>> 33;
        k *= 0xff51afd7ed558ccdL;
        k ^= k >>> 33;
        k *= 0xc4ceb9fe1a85ec53L;
        k ^= k >>> 33;
        return k;
    }

    private static long chars4(CharSequence s, int i) {
        return (long) s.charAt(i)
                | (long) s.charAt(i + 1) << 16
                | (long) s.charAt(i + 2) << 32
                | (long) s.charAt(i + 3) << 48;
    }

    private static long mixK1(long k1) {
        k1 *= C1;
        k1 = Long.rotateLeft(k1, 31);
        return k1 * C2;
    }

    private static long mixK2(long k2) {
        k2 *= C2;
        k2 = Long.rotateLeft(k2, 33);
        return k2 * C1;
    }
}
