package dev.phi4spark.udf.tokenizer;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What {@link TinyTokenizerWriter} wrote: enough to size a random test model's embeddings.
 *
 * @param vocabSize number of ids, regular and special tokens together (ids run from 0 to {@code
 *     vocabSize - 1})
 * @param regularVocabSize number of byte-level BPE tokens (ids 0 to {@code regularVocabSize - 1})
 * @param mergeCount number of BPE merges
 * @param specialTokenIds id of each special token, by name
 * @param eosTokenId id of the end-of-turn token tokenizer_config names as eos_token
 * @param padTokenId id of the padding token tokenizer_config names as pad_token
 */
public record TinyTokenizerInfo(
        int vocabSize,
        int regularVocabSize,
        int mergeCount,
        Map<String, Long> specialTokenIds,
        long eosTokenId,
        long padTokenId) {

    /** Copies the map so the record stays immutable, keeping its order for readable logs. */
    public TinyTokenizerInfo {
        specialTokenIds = Collections.unmodifiableMap(new LinkedHashMap<>(specialTokenIds));
    }
}
