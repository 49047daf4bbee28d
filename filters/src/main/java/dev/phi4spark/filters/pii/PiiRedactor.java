package dev.phi4spark.filters.pii;

import dev.phi4spark.filters.CleanedText;
import dev.phi4spark.filters.TextCleaner;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Replaces personal data and secrets by placeholders and counts the replacements per kind.
 *
 * <p>Kinds, placeholders and rules, applied in this order (earlier kinds win overlaps):
 *
 * <ul>
 *   <li>{@code SECRET} ({@code <SECRET>}): PEM private key blocks; JWTs ({@code eyJ..}.{@code
 *       eyJ..}.sig); AWS access key ids ({@code AKIA}/{@code ASIA} + 16 upper-case letters or
 *       digits); GitHub tokens ({@code ghp_ gho_ ghu_ ghs_ ghr_} + 36 characters, {@code
 *       github_pat_...}); Slack tokens ({@code xoxb- xoxa- xoxp- xoxr- xoxs-}); {@code sk-} API keys
 *       of at least 20 further characters that include a digit.
 *   <li>{@code EMAIL} ({@code <EMAIL>}): local part, {@code @}, dotted domain with a 2+ letter TLD.
 *   <li>{@code CARD_NUMBER} ({@code <CARD_NUMBER>}): 13 to 19 digits, optionally grouped by single
 *       spaces or hyphens, that pass the Luhn check. A number failing Luhn is left alone.
 *   <li>{@code IP_ADDRESS} ({@code <IP_ADDRESS>}): IPv6 in full or {@code ::}-compressed form with
 *       at least one digit and two groups (so C++'s {@code Abc::Def} and the loopback {@code ::1}
 *       are not taken), validated group by group;
 *       dotted-quad IPv4 with every octet at most 255. A dotted quad right after "version", "ver",
 *       "v" or "release" (as in "version 1.2.3.4" or "v1.2.3.4") is a version, not an address.
 *   <li>{@code PHONE} ({@code <PHONE>}): optional {@code +country code}, then groups separated by
 *       spaces, dots or hyphens, or an area code in parentheses; 9 to 15 digits in all (E.164).
 *       Digit groups glued to further digits (such as part of a longer number or an IP address)
 *       are not phone numbers.
 * </ul>
 */
public final class PiiRedactor implements TextCleaner {
    private static final long serialVersionUID = 1L;

    public static final String SECRET = "SECRET";
    public static final String EMAIL = "EMAIL";
    public static final String CARD_NUMBER = "CARD_NUMBER";
    public static final String IP_ADDRESS = "IP_ADDRESS";
    public static final String PHONE = "PHONE";

    private static final Pattern SECRET_PATTERN = Pattern.compile(
            "-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----[\\s\\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----"
                    + "|\\beyJ[A-Za-z0-9_-]{5,}\\.eyJ[A-Za-z0-9_-]{5,}\\.[A-Za-z0-9_-]{5,}"
                    + "|\\b(?:AKIA|ASIA)[0-9A-Z]{16}\\b"
                    + "|\\bgh[pousr]_[A-Za-z0-9]{36}\\b"
                    + "|\\bgithub_pat_[A-Za-z0-9_]{22,255}\\b"
                    + "|\\bxox[baprs]-[A-Za-z0-9-]{10,}"
                    + "|\\bsk-(?=[A-Za-z0-9_-]*\\d)[A-Za-z0-9_-]{20,}");
    private static final Pattern EMAIL_PATTERN = Pattern.compile(
            "(?<![\\w.%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}\\b");
    private static final Pattern CARD_PATTERN =
            Pattern.compile("(?<![\\d-])\\d(?:[ -]?\\d){12,18}(?![\\d])");
    private static final Pattern IPV6_PATTERN =
            Pattern.compile("(?<![\\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\\w:])");
    private static final Pattern IPV4_PATTERN =
            Pattern.compile("(?<![\\w.])(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})(?!\\.?\\d)(?!\\w)");
    private static final Pattern VERSION_BEFORE =
            Pattern.compile("(?i)(?:\\bversion|\\bver\\.?|\\brelease|\\bv)\\s*$");
    private static final Pattern PHONE_PATTERN = Pattern.compile(
            "(?<![\\w.+])(?<!\\d[\\s.-])(?:\\+\\d{1,3}[\\s.-]?)?"
                    + "(?:\\(\\d{1,4}\\)[\\s.-]?|\\d{1,4}[\\s.-])(?:\\d{2,4}[\\s.-])?\\d{3,4}[\\s.-]\\d{3,4}"
                    + "(?![\\s.-]?\\d)(?!\\w)");

    private record Rule(String kind, Pattern pattern, Validator validator)
            implements java.io.Serializable {}

    /** Second look at a regex match, with the whole text for context. */
    private interface Validator extends java.io.Serializable {
        boolean test(String text, Matcher match);
    }

    private static final List<Rule> RULES = List.of(
            new Rule(SECRET, SECRET_PATTERN, (t, m) -> true),
            new Rule(EMAIL, EMAIL_PATTERN, (t, m) -> true),
            new Rule(CARD_NUMBER, CARD_PATTERN, (t, m) -> luhnValid(m.group())),
            new Rule(IP_ADDRESS, IPV6_PATTERN, (t, m) -> isIpv6(m.group())),
            new Rule(IP_ADDRESS, IPV4_PATTERN, PiiRedactor::isIpv4Address),
            new Rule(PHONE, PHONE_PATTERN, (t, m) -> isPhoneLength(m.group())));

    @Override
    public String name() {
        return "pii";
    }

    @Override
    public CleanedText clean(String text) {
        String out = text == null ? "" : text;
        Map<String, Integer> counts = new TreeMap<>();
        boolean digits = hasDigit(out);
        for (Rule rule : RULES) {
            // Cheap checks skip the regexes that cannot match; most text has no '@' and no secrets.
            if (rule.kind().equals(EMAIL) && out.indexOf('@') < 0
                    || !digits && (rule.kind().equals(CARD_NUMBER) || rule.kind().equals(PHONE))
                    || rule.pattern() == IPV6_PATTERN && out.indexOf(':') < 0
                    || rule.pattern() == IPV4_PATTERN && (!digits || out.indexOf('.') < 0)) {
                continue;
            }
            out = replace(out, rule, counts);
        }
        return new CleanedText(out, counts);
    }

    private static String replace(String text, Rule rule, Map<String, Integer> counts) {
        Matcher m = rule.pattern().matcher(text);
        StringBuilder sb = null;
        int last = 0;
        while (m.find()) {
            if (!rule.validator().test(text, m)) {
                continue;
            }
            if (sb == null) {
                sb = new StringBuilder(text.length());
            }
            sb.append(text, last, m.start()).append('<').append(rule.kind()).append('>');
            last = m.end();
            counts.merge(rule.kind(), 1, Integer::sum);
        }
        if (sb == null) {
            return text;
        }
        return sb.append(text, last, text.length()).toString();
    }

    private static boolean hasDigit(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= '0' && c <= '9') {
                return true;
            }
        }
        return false;
    }

    /** Luhn checksum over the digits of {@code s} (separators ignored). */
    static boolean luhnValid(String s) {
        int sum = 0;
        boolean doubleIt = false;
        int digits = 0;
        for (int i = s.length() - 1; i >= 0; i--) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                continue;
            }
            int d = c - '0';
            if (doubleIt) {
                d *= 2;
                if (d > 9) {
                    d -= 9;
                }
            }
            sum += d;
            doubleIt = !doubleIt;
            digits++;
        }
        return digits >= 13 && digits <= 19 && sum % 10 == 0 && !allSameDigit(s);
    }

    // "0000 0000 0000 0000" passes Luhn but is a placeholder, not a card.
    private static boolean allSameDigit(String s) {
        char first = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= '0' && c <= '9') {
                if (first == 0) {
                    first = c;
                } else if (c != first) {
                    return false;
                }
            }
        }
        return true;
    }

    private static boolean isIpv4Address(String text, Matcher m) {
        for (int g = 1; g <= 4; g++) {
            if (Integer.parseInt(m.group(g)) > 255) {
                return false;
            }
        }
        int from = Math.max(0, m.start() - 12);
        return !VERSION_BEFORE.matcher(text.substring(from, m.start())).find();
    }

    /** Full or {@code ::}-compressed IPv6 (no embedded IPv4), with at least one digit. */
    static boolean isIpv6(String s) {
        if (s.chars().noneMatch(Character::isDigit)) {
            return false;
        }
        int compress = s.indexOf("::");
        if (compress >= 0 && s.indexOf("::", compress + 1) >= 0) {
            return false;
        }
        String head = compress >= 0 ? s.substring(0, compress) : s;
        String tail = compress >= 0 ? s.substring(compress + 2) : "";
        int groups = countGroups(head) + countGroups(tail);
        if (groups < 0) {
            return false;
        }
        return compress >= 0 ? groups <= 7 && groups >= 2 : groups == 8;
    }

    /** Number of valid 1-4 hex digit groups in a colon-separated run; -1 when a group is invalid. */
    private static int countGroups(String part) {
        if (part.isEmpty()) {
            return 0;
        }
        String[] groups = part.split(":", -1);
        for (String g : groups) {
            if (g.isEmpty() || g.length() > 4) {
                return -1;
            }
        }
        return groups.length;
    }

    private static boolean isPhoneLength(String s) {
        long digits = s.chars().filter(c -> c >= '0' && c <= '9').count();
        return digits >= 9 && digits <= 15;
    }

    @Override
    public String toString() {
        return name().toUpperCase(Locale.ROOT);
    }
}
