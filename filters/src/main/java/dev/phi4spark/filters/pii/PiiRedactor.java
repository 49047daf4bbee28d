package dev.phi4spark.filters.pii;

import com.google.i18n.phonenumbers.PhoneNumberMatch;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import dev.phi4spark.filters.CleanedText;
import dev.phi4spark.filters.TextCleaner;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
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
 *       spaces or hyphens, that pass the Luhn check and start with a card issuer's prefix at a
 *       length that issuer uses (Visa 4: 16 or 19 digits; Mastercard 51-55, 2221-2720: 16; Amex 34,
 *       37: 15; Discover 6011, 644-649, 65; UnionPay 62; JCB 3528-3589; Diners 300-305, 36, 38, 39;
 *       Maestro; Mir 2200-2204). ISBNs and EANs (prefix 978/979 or other country codes) therefore
 *       pass, as does a number right after "ISBN", "EAN", "GTIN", "UPC", "IMEI" or "barcode".
 *   <li>{@code IP_ADDRESS} ({@code <IP_ADDRESS>}): IPv6 in full or {@code ::}-compressed form with
 *       at least one digit and two groups (so C++'s {@code Abc::Def} and the loopback {@code ::1}
 *       are not taken), validated group by group; dotted-quad IPv4 with every octet at most 255,
 *       unless its context says it is something else: right after a version, section or
 *       identifier word ("version", "v", "release", "build", "section", "§", "chapter", "clause",
 *       "OID", "RFC", ...), or right after a capitalised word inside a sentence, which names a
 *       product ("Firefox 86.0.5.5"); network words ("server", "DNS", "IP") and lower-case words
 *       ("from", "at") keep it an address.
 *   <li>{@code PHONE} ({@code <PHONE>}): numbers Google's libphonenumber finds in the text and
 *       validates against its numbering plans, with a country code ({@code +44 7712 794026}) or as
 *       national numbers of the configured regions (default US: {@code (415) 555-0132}, {@code
 *       8156397224}). Fictional 555-01xx-style numbers outside the plans are not phone numbers.
 *       Digits grouped in thousands without a {@code +} ("8 019 392 251 bytes"), numbers followed
 *       by a unit and numbers right after an identifier word ("ISBN", "order", "invoice",
 *       "serial", ...) are quantities or identifiers, not phone numbers.
 * </ul>
 *
 * <p>Each kind can be turned off ({@link #PiiRedactor(Collection, List)}).
 */
public final class PiiRedactor implements TextCleaner {
    private static final long serialVersionUID = 2L;

    public static final String SECRET = "SECRET";
    public static final String EMAIL = "EMAIL";
    public static final String CARD_NUMBER = "CARD_NUMBER";
    public static final String IP_ADDRESS = "IP_ADDRESS";
    public static final String PHONE = "PHONE";
    /** Every kind, in the order they are applied. */
    public static final List<String> KINDS = List.of(SECRET, EMAIL, CARD_NUMBER, IP_ADDRESS, PHONE);
    /** Regions whose national phone numbers (no country code) are recognised by default. */
    public static final List<String> DEFAULT_PHONE_REGIONS = List.of("US");

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
    private static final Pattern CARD_CONTEXT_BEFORE =
            Pattern.compile("(?i)\\b(?:isbn(?:-1[03])?|ean(?:-13)?|gtin|upc|imei|barcode|serial|sku|order|invoice"
                    + "|tracking)\\W{0,3}$");
    private static final Pattern IPV6_PATTERN =
            Pattern.compile("(?<![\\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\\w:])");
    private static final Pattern IPV4_PATTERN =
            Pattern.compile("(?<![\\w.])(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})(?!\\.?\\d)(?!\\w)");
    private static final Pattern NOT_IP_BEFORE = Pattern.compile("(?i)(?:\\b(?:version|ver|v|release|rel"
            + "|build|rev|revision|update|patch|firmware|kernel|section|sect|sec|chapter|ch|clause"
            + "|article|art|paragraph|para|figure|fig|table|appendix|step|item|oid|rfc|iso|standard"
            + "|no|number)\\.?|§|#)\\s*$");
    private static final Pattern WORD_BEFORE = Pattern.compile("([\\p{L}][\\p{L}\\p{N}+-]*)\\s+$");
    private static final Set<String> NETWORK_WORDS = Set.of("ip", "ipv4", "address", "addr", "host",
            "hostname", "server", "gateway", "dns", "router", "subnet", "proxy", "client",
            "peer", "nameserver", "resolver", "endpoint", "machine", "device", "vpn", "nat", "lan", "wan");
    private static final Pattern NOT_PHONE_BEFORE = Pattern.compile("(?i)\\b(?:isbn|issn|ean|gtin|upc"
            + "|imei|doi|oid|order|invoice|serial|tracking|ticket|ref|reference|build|version|sku|part"
            + "|patent|case|id|no)\\.?\\W{0,3}$");
    private static final Pattern THOUSANDS = Pattern.compile("\\d{1,3}(?:[ ,.\\u00A0\\u202F]\\d{3}){2,}");
    private static final Pattern UNIT_AFTER = Pattern.compile("(?i)^\\s?(?:bytes?|[kmgtp]i?b|bits?"
            + "|items?|rows?|records?|words?|tokens?|people|persons?|users?|times|years?|km|miles?|m"
            + "|kg|tons?|tonnes?|usd|eur|dollars?|euros?|%|hz|mhz|ghz|votes?|copies|units?|pieces)\\b");

    private record Rule(String kind, Pattern pattern, Validator validator)
            implements java.io.Serializable {}

    /** Second look at a regex match, with the whole text for context. */
    private interface Validator extends java.io.Serializable {
        boolean test(String text, Matcher match);
    }

    private static final List<Rule> RULES = List.of(
            new Rule(SECRET, SECRET_PATTERN, (t, m) -> true),
            new Rule(EMAIL, EMAIL_PATTERN, (t, m) -> true),
            new Rule(CARD_NUMBER, CARD_PATTERN, PiiRedactor::isCardNumber),
            new Rule(IP_ADDRESS, IPV6_PATTERN, (t, m) -> isIpv6(m.group())),
            new Rule(IP_ADDRESS, IPV4_PATTERN, PiiRedactor::isIpv4Address));

    private final Set<String> kinds;
    private final List<String> phoneRegions;

    /** Every kind; national phone numbers of the US. */
    public PiiRedactor() {
        this(KINDS, DEFAULT_PHONE_REGIONS);
    }

    /**
     * @param kinds the kinds to redact, a subset of {@link #KINDS}
     * @param phoneRegions ISO 3166 regions (such as US, GB, DE) whose phone numbers written without
     *     a country code are recognised; numbers with a {@code +} country code are found anyway
     */
    public PiiRedactor(Collection<String> kinds, List<String> phoneRegions) {
        Set<String> chosen = new LinkedHashSet<>();
        for (String kind : kinds) {
            String k = kind.trim().toUpperCase(Locale.ROOT);
            if (!KINDS.contains(k)) {
                throw new IllegalArgumentException("Cannot create PII redactor: unknown kind '" + kind
                        + "' (known: " + String.join(", ", KINDS) + ")");
            }
            chosen.add(k);
        }
        Set<String> supported = PhoneNumberUtil.getInstance().getSupportedRegions();
        List<String> regions = new ArrayList<>();
        for (String region : phoneRegions) {
            String r = region.trim().toUpperCase(Locale.ROOT);
            if (!supported.contains(r)) {
                throw new IllegalArgumentException("Cannot create PII redactor: unknown phone region '"
                        + region + "' (use ISO 3166 codes such as US, GB, DE)");
            }
            regions.add(r);
        }
        this.kinds = Set.copyOf(chosen);
        this.phoneRegions = List.copyOf(regions);
    }

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
            if (!kinds.contains(rule.kind())) {
                continue;
            }
            // Cheap checks skip the regexes that cannot match; most text has no '@' and no secrets.
            if (rule.pattern() == SECRET_PATTERN && !mayHoldSecret(out)
                    || rule.kind().equals(EMAIL) && out.indexOf('@') < 0
                    || rule.kind().equals(CARD_NUMBER) && (!digits || !hasDigitRun(out, 13))
                    || rule.pattern() == IPV6_PATTERN && out.indexOf(':') < 0
                    || rule.pattern() == IPV4_PATTERN && (!digits || !hasDottedDigits(out))) {
                continue;
            }
            out = replace(out, rule, counts);
        }
        if (digits && kinds.contains(PHONE)) {
            out = redactPhones(out, counts);
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

    /**
     * True when {@code s} holds a literal every secret rule needs: scanning for a few fixed strings is
     * far cheaper than running the alternation of word-boundary patterns at every position of prose.
     */
    static boolean mayHoldSecret(String s) {
        return s.contains("PRIVATE KEY") || s.contains("eyJ") || s.contains("AKIA") || s.contains("ASIA")
                || s.indexOf('_') >= 0 && (s.contains("ghp_") || s.contains("gho_") || s.contains("ghu_")
                        || s.contains("ghs_") || s.contains("ghr_") || s.contains("github_pat_"))
                || s.contains("xox") || s.contains("sk-");
    }

    /** True when some run of digits, single spaces and hyphens holds at least {@code min} digits. */
    private static boolean hasDigitRun(String s, int min) {
        int digits = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= '0' && c <= '9') {
                if (++digits >= min) {
                    return true;
                }
            } else if (!((c == ' ' || c == '-') && digits > 0)) {
                digits = 0;
            }
        }
        return false;
    }

    /** True when a '.' stands between two digits, as in every dotted quad. */
    private static boolean hasDottedDigits(String s) {
        for (int i = s.indexOf('.', 1); i > 0 && i + 1 < s.length(); i = s.indexOf('.', i + 1)) {
            if (Character.isDigit(s.charAt(i - 1)) && Character.isDigit(s.charAt(i + 1))) {
                return true;
            }
        }
        return false;
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
        String before = text.substring(Math.max(0, m.start() - 30), m.start());
        if (NOT_IP_BEFORE.matcher(before).find()) {
            return false;
        }
        Matcher word = WORD_BEFORE.matcher(before);
        if (!word.find()) {
            return true;
        }
        String w = word.group(1);
        boolean capitalised = Character.isUpperCase(w.charAt(0)) && !w.equals(w.toUpperCase(Locale.ROOT));
        if (!capitalised || NETWORK_WORDS.contains(w.toLowerCase(Locale.ROOT))) {
            return true;
        }
        // A capitalised word inside a sentence names a product: "Firefox 86.0.5.5" is a version.
        return sentenceStart(before, word.start(1));
    }

    private static boolean sentenceStart(String text, int at) {
        for (int i = at - 1; i >= 0; i--) {
            char c = text.charAt(i);
            if (c == '\n' || c == '.' || c == '!' || c == '?') {
                return true;
            }
            if (!Character.isWhitespace(c) && c != '"' && c != '\'' && c != '(') {
                return false;
            }
        }
        // The look-behind window may have cut the sentence; only the real start of the text counts.
        return text.length() < 30 || at == 0;
    }

    private static boolean isCardNumber(String text, Matcher m) {
        String digits = m.group().replaceAll("[^0-9]", "");
        if (!luhnValid(digits) || !issuerPrefix(digits)) {
            return false;
        }
        return !CARD_CONTEXT_BEFORE.matcher(text.substring(Math.max(0, m.start() - 16), m.start())).find();
    }

    /** True when {@code d} starts with a card issuer's prefix and has a length that issuer uses. */
    static boolean issuerPrefix(String d) {
        int n = d.length();
        int p2 = Integer.parseInt(d.substring(0, 2));
        int p3 = Integer.parseInt(d.substring(0, 3));
        int p4 = Integer.parseInt(d.substring(0, 4));
        boolean long16 = n >= 16 && n <= 19;
        if (d.charAt(0) == '4') {
            return n == 16 || n == 19;
        }
        if (p2 >= 51 && p2 <= 55 || p4 >= 2221 && p4 <= 2720) {
            return n == 16;
        }
        if (p2 == 34 || p2 == 37) {
            return n == 15;
        }
        if (p4 == 6011 || p3 >= 644 && p3 <= 649 || p2 == 65 || p2 == 62
                || p4 >= 3528 && p4 <= 3589 || p4 >= 2200 && p4 <= 2204) {
            return long16;
        }
        if (p3 >= 300 && p3 <= 305 || p2 == 36 || p2 == 38 || p2 == 39) {
            return n >= 14 && n <= 19;
        }
        if (p4 == 5018 || p4 == 5020 || p4 == 5038 || p4 == 5893 || p4 == 6304 || p4 == 6759
                || p4 >= 6761 && p4 <= 6763) {
            return n >= 12 && n <= 19;
        }
        return false;
    }

    /** Phone numbers, found by libphonenumber in the runs of digits long enough to hold one. */
    private String redactPhones(String text, Map<String, Integer> counts) {
        List<int[]> spans = new ArrayList<>();
        for (int[] run : digitRuns(text)) {
            // A little context either side lets libphonenumber see a '+', a letter or an extension.
            int from = Math.max(0, run[0] - 1);
            int to = Math.min(text.length(), run[1] + 1);
            String window = text.substring(from, to);
            if (!findPhones(text, window, from, spans)) {
                // libphonenumber refuses "(+44 7712 794026)": parentheses around the whole number.
                findPhones(text, unwrapParentheses(window), from, spans);
            }
        }
        if (spans.isEmpty()) {
            return text;
        }
        spans.sort((x, y) -> Integer.compare(x[0], y[0]));
        StringBuilder sb = new StringBuilder(text.length());
        int last = 0;
        for (int[] span : spans) {
            sb.append(text, last, span[0]).append('<').append(PHONE).append('>');
            last = span[1];
        }
        counts.merge(PHONE, spans.size(), Integer::sum);
        return sb.append(text, last, text.length()).toString();
    }

    /** Adds the phone numbers found in {@code window} (at {@code from} in {@code text}); true if any. */
    private boolean findPhones(String text, String window, int from, List<int[]> spans) {
        boolean any = false;
        for (String region : phoneRegions) {
            for (PhoneNumberMatch match : PhoneNumberUtil.getInstance().findNumbers(window, region,
                    PhoneNumberUtil.Leniency.VALID, Long.MAX_VALUE)) {
                int start = from + match.start();
                int end = from + match.end();
                if (match.rawString().startsWith("(") && match.rawString().indexOf(')') < 0) {
                    start++; // "(+44 ...)": the parenthesis belongs to the sentence
                }
                if (isPhoneContext(text, start, end, match.rawString()) && !overlaps(spans, start, end)) {
                    spans.add(new int[] {start, end});
                    any = true;
                }
            }
        }
        return any;
    }

    /** {@code window} with an opening parenthesis before its first digit and a closing one after its last as spaces. */
    private static String unwrapParentheses(String window) {
        int open = window.indexOf('(');
        int close = window.lastIndexOf(')');
        if (open < 0 || close < open) {
            return window;
        }
        char[] chars = window.toCharArray();
        chars[open] = ' ';
        chars[close] = ' ';
        return new String(chars);
    }

    private static boolean overlaps(List<int[]> spans, int start, int end) {
        for (int[] s : spans) {
            if (start < s[1] && s[0] < end) {
                return true;
            }
        }
        return false;
    }

    private static boolean isPhoneContext(String text, int start, int end, String raw) {
        if (raw.charAt(0) != '+' && raw.charAt(0) != '(' && THOUSANDS.matcher(raw).matches()) {
            return false;
        }
        if (UNIT_AFTER.matcher(text.substring(end, Math.min(text.length(), end + 12))).find()) {
            return false;
        }
        return !NOT_PHONE_BEFORE.matcher(text.substring(Math.max(0, start - 16), start)).find();
    }

    /**
     * Spans of digits and phone punctuation (spaces, {@code - . ( ) / +}) holding at least 7
     * digits: the only places a phone number can be.
     */
    static List<int[]> digitRuns(String text) {
        List<int[]> runs = new ArrayList<>();
        int n = text.length();
        int i = 0;
        while (i < n) {
            char c = text.charAt(i);
            if (!(c >= '0' && c <= '9' || c == '+' || c == '(')) {
                i++;
                continue;
            }
            int start = i;
            int lastDigit = -1;
            int digits = 0;
            while (i < n) {
                char d = text.charAt(i);
                if (d >= '0' && d <= '9') {
                    digits++;
                    lastDigit = i;
                } else if (!(d == ' ' || d == '-' || d == '.' || d == '(' || d == ')' || d == '/'
                        || d == '+' || d == '\u00A0')) {
                    break;
                }
                i++;
            }
            if (digits >= 7) {
                runs.add(new int[] {start, lastDigit + 1});
            }
            if (i == start) {
                i++;
            }
        }
        return runs;
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

    @Override
    public String toString() {
        return name().toUpperCase(Locale.ROOT);
    }
}
