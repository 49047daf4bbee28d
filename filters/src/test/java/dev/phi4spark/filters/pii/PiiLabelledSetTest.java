package dev.phi4spark.filters.pii;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phi4spark.filters.CleanedText;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Recall and false redactions of {@link PiiRedactor} on a labelled set generated here: documents
 * with one planted item each (recall per kind, counted only when exactly the item became its
 * placeholder), and documents full of look-alikes (section numbers, OIDs, versions, byte counts,
 * ISBNs, EANs, IMEIs, order numbers, timestamps) that must come out unchanged.
 */
class PiiLabelledSetTest {
    private static final int ITEMS_PER_KIND = 300;
    private static final int LOOK_ALIKE_DOCS = 1000;
    private static final String[] FILLER = {
        "The committee met on Tuesday to review the budget for the coming year.",
        "Most of the questions were about the new parking rules near the library.",
        "She said the results would be shared with everyone by the end of the month.",
        "We tried the recipe twice and the second attempt came out much better.",
        "Nobody expected the storm to last for three whole days.",
        "The report lists several options, none of them cheap.",
        "After lunch the group walked down to the harbour and back.",
    };
    private final PiiRedactor redactor = new PiiRedactor();

    private record Planted(String kind, String before, String item, String after) {
        String text() {
            return before + item + after;
        }

        String expected() {
            return before + "<" + kind + ">" + after;
        }
    }

    @Test
    void recallIsAtLeast98PercentForEveryKind() {
        SplittableRandom random = new SplittableRandom(16);
        Map<String, Function<SplittableRandom, String[]>> generators = new LinkedHashMap<>();
        generators.put(PiiRedactor.EMAIL, PiiLabelledSetTest::email);
        generators.put(PiiRedactor.PHONE, PiiLabelledSetTest::phone);
        generators.put(PiiRedactor.IP_ADDRESS, PiiLabelledSetTest::ip);
        generators.put(PiiRedactor.CARD_NUMBER, PiiLabelledSetTest::card);
        generators.put(PiiRedactor.SECRET, PiiLabelledSetTest::secret);
        Map<String, Double> recall = new LinkedHashMap<>();
        List<String> misses = new ArrayList<>();
        for (Map.Entry<String, Function<SplittableRandom, String[]>> kind : generators.entrySet()) {
            int found = 0;
            for (int i = 0; i < ITEMS_PER_KIND; i++) {
                String[] sentence = kind.getValue().apply(random);
                Planted p = new Planted(kind.getKey(), filler(random) + " " + sentence[0], sentence[1],
                        sentence[2] + " " + filler(random));
                CleanedText out = redactor.clean(p.text());
                if (out.text().equals(p.expected()) && out.total() == 1) {
                    found++;
                } else {
                    misses.add(kind.getKey() + ": " + sentence[0] + sentence[1] + sentence[2]);
                }
            }
            recall.put(kind.getKey(), (double) found / ITEMS_PER_KIND);
        }
        assertThat(recall).as("recall per kind; misses: %s", misses)
                .allSatisfy((kind, r) -> assertThat(r).as(kind).isGreaterThanOrEqualTo(0.98));
    }

    @Test
    void falselyRedactsAtMost2PercentOfLookAlikeDocuments() {
        SplittableRandom random = new SplittableRandom(61);
        List<String> wrong = new ArrayList<>();
        for (int i = 0; i < LOOK_ALIKE_DOCS; i++) {
            String doc = filler(random) + " " + lookAlike(random) + " " + filler(random) + " "
                    + lookAlike(random) + " " + filler(random);
            CleanedText out = redactor.clean(doc);
            if (out.total() > 0) {
                wrong.add(out.counts() + " " + doc);
            }
        }
        assertThat((double) wrong.size() / LOOK_ALIKE_DOCS).as("false redactions: %s", wrong)
                .isLessThanOrEqualTo(0.02);
    }

    @Test
    void leavesEveryKindOfLookAliketAloneWhenTheCorrectWordsSurroundIt() {
        String text = String.join(" ",
                "See Section 9.2.2.8 and OID 2.5.9.73; upgrade to Firefox 86.0.5.5 first.",
                "The disk holds 8 019 392 251 bytes.",
                "ISBN 978-3-16-148410-0 and ISBN 9780306406157 are books, EAN 4006381333931 a pen.",
                "Her number is 8156397224, or +33 8 50 62 46 57, +44 7712 794026, +49 30 968 25231"
                        + " and +91 71335 55802 abroad.");
        CleanedText out = redactor.clean(text);
        assertThat(out.text()).isEqualTo(String.join(" ",
                "See Section 9.2.2.8 and OID 2.5.9.73; upgrade to Firefox 86.0.5.5 first.",
                "The disk holds 8 019 392 251 bytes.",
                "ISBN 978-3-16-148410-0 and ISBN 9780306406157 are books, EAN 4006381333931 a pen.",
                "Her number is <PHONE>, or <PHONE>, <PHONE>, <PHONE> and <PHONE> abroad."));
        assertThat(out.counts()).isEqualTo(Map.of(PiiRedactor.PHONE, 5));
    }

    private static String filler(SplittableRandom r) {
        return FILLER[r.nextInt(FILLER.length)];
    }

    private static <T> T pick(SplittableRandom r, T[] values) {
        return values[r.nextInt(values.length)];
    }

    private static String digits(SplittableRandom r, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append((char) ('0' + r.nextInt(10)));
        }
        return sb.toString();
    }

    /** [text before, item, text after] of one sentence. */
    private static String[] around(SplittableRandom r, String[] contexts, String item) {
        String c = pick(r, contexts);
        int at = c.indexOf("{}");
        return new String[] {c.substring(0, at), item, c.substring(at + 2)};
    }

    private static String[] email(SplittableRandom r) {
        String[] names = {"jane.doe", "m.rossi", "li_wei", "ops+alerts", "anna-maria", "k.nakamura",
            "peter99", "support", "j.smith.work", "info"};
        String[] domains = {"example.com", "mail.example.org", "uni-heidelberg.de", "corp.co.uk",
            "startup.io", "gov.example.fr", "post.cz", "company.com.br"};
        String item = pick(r, names) + (r.nextBoolean() ? "" : Integer.toString(r.nextInt(100))) + "@"
                + pick(r, domains);
        return around(r, new String[] {"Write to {} for details.", "Contact: {}", "Her address is {}.",
            "({}) replied within an hour.", "Send the form to <{}> today.", "cc {}, thanks."}, item);
    }

    private static String[] phone(SplittableRandom r) {
        String[] areas = {"212", "415", "312", "617", "206", "303", "512", "815", "702", "404", "305",
            "713", "602", "919", "503"};
        String area = pick(r, areas);
        String exchange = (2 + r.nextInt(8)) + digits(r, 1) + (2 + r.nextInt(8));
        String line = digits(r, 4);
        String item = switch (r.nextInt(14)) {
            case 0 -> "(" + area + ") " + exchange + "-" + line;
            case 1 -> area + "-" + exchange + "-" + line;
            case 2 -> area + "." + exchange + "." + line;
            case 3 -> area + exchange + line;
            case 4 -> "+1 " + area + " " + exchange + " " + line;
            case 5 -> "1-" + area + "-" + exchange + "-" + line;
            case 6 -> "+44 7" + pick(r, new String[] {"712", "802", "459"}) + " " + digits(r, 6);
            case 7 -> "+44 20 " + pick(r, new String[] {"3", "7", "8"}) + digits(r, 3) + " " + digits(r, 4);
            case 8 -> "+33 " + pick(r, new String[] {"1", "6", "6"}) + " " + digits(r, 2) + " "
                    + digits(r, 2) + " " + digits(r, 2) + " " + digits(r, 2);
            case 9 -> "+49 30 " + digits(r, 3) + " " + (1 + r.nextInt(9)) + digits(r, 4);
            case 10 -> "+49 151 " + digits(r, 8);
            case 11 -> "+91 " + (6 + r.nextInt(4)) + digits(r, 4) + " " + digits(r, 5);
            case 12 -> "+61 4" + (1 + r.nextInt(3)) + digits(r, 1) + " " + digits(r, 3) + " " + digits(r, 3);
            default -> "+34 6" + digits(r, 2) + " " + digits(r, 3) + " " + digits(r, 3);
        };
        return around(r, new String[] {"Her number is {}.", "Call {} after six.", "Phone: {}",
            "You can reach the office at {} on weekdays.", "Ring me on {} tomorrow.",
            "The landlord ({}) never answers.", "Mobile {}, ask for Sam."}, item);
    }

    private static String[] ip(SplittableRandom r) {
        String item;
        int kind = r.nextInt(10);
        if (kind < 2) {
            item = Integer.toHexString(0x2001) + ":db8:" + Integer.toHexString(r.nextInt(65536)) + "::"
                    + Integer.toHexString(1 + r.nextInt(65535));
        } else if (kind == 2) {
            StringBuilder sb = new StringBuilder();
            for (int g = 0; g < 8; g++) {
                sb.append(g == 0 ? "" : ":").append(String.format("%04x", r.nextInt(65536)));
            }
            item = sb.toString();
        } else {
            int first = pick(r, new Integer[] {10, 192, 172, 8, 1 + r.nextInt(223)});
            item = first + "." + r.nextInt(256) + "." + r.nextInt(256) + "." + (1 + r.nextInt(254));
        }
        return around(r, new String[] {"The server at {} stopped answering.", "Blocked {} after"
            + " the third attempt.", "Requests came from {} all night.", "Set the DNS to {} and retry.",
            "ssh admin@{} fails.", "The router ({}) was rebooted.", "Her laptop got {} from the"
            + " hotel network.", "{} is the gateway.", "Logs show {} scanning ports."}, item);
    }

    private static String[] card(SplittableRandom r) {
        String prefix = pick(r, new String[] {"4", "4", "51", "53", "55", "2221", "34", "37", "6011", "65",
            "3530", "36"});
        int length = prefix.equals("34") || prefix.equals("37") ? 15 : prefix.equals("36") ? 14 : 16;
        String body = prefix + digits(r, length - prefix.length() - 1);
        String number = body + luhnDigit(body);
        String item = switch (r.nextInt(3)) {
            case 0 -> number;
            case 1 -> group(number, length == 15 ? new int[] {4, 6, 5} : length == 14
                    ? new int[] {4, 6, 4} : new int[] {4, 4, 4, 4}, " ");
            default -> group(number, length == 16 ? new int[] {4, 4, 4, 4} : new int[] {4, 6, length - 10}, "-");
        };
        return around(r, new String[] {"Card {} was declined.", "Pay with {} please.",
            "The card number is {}.", "Charge it to {}, expiry 04/27.", "Visa: {}"}, item);
    }

    private static String[] secret(SplittableRandom r) {
        String alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        StringBuilder token = new StringBuilder();
        for (int i = 0; i < 36; i++) {
            token.append(alnum.charAt(r.nextInt(alnum.length())));
        }
        String t = token.toString();
        String item = switch (r.nextInt(4)) {
            case 0 -> "AKIA" + t.substring(0, 16).toUpperCase();
            case 1 -> "ghp_" + t;
            case 2 -> "sk-proj" + t.substring(0, 20) + "9";
            default -> "xoxb-" + digits(r, 12) + "-" + t.substring(0, 16);
        };
        return around(r, new String[] {"The key {} leaked.", "export TOKEN={}", "Use {} for the API."},
                item);
    }

    private static String lookAlike(SplittableRandom r) {
        int a = 1 + r.nextInt(20);
        int b = r.nextInt(10);
        int c = r.nextInt(10);
        int d = 1 + r.nextInt(99);
        return switch (r.nextInt(18)) {
            case 0 -> "See Section " + a + "." + b + "." + c + "." + d + " for the details.";
            case 1 -> "The attribute has OID " + (1 + r.nextInt(2)) + "." + b + "." + c + "." + d + ".";
            case 2 -> "Upgrade to " + pick(r, new String[] {"Firefox", "Thunderbird", "Chrome", "Edge", "Node"})
                    + " " + (50 + r.nextInt(80)) + ".0." + b + "." + c + " before Monday.";
            case 3 -> "The disk holds " + a + " " + digits(r, 3) + " " + digits(r, 3) + " " + digits(r, 3)
                    + " bytes.";
            case 4 -> "ISBN " + isbn(r, true) + " is the paperback.";
            case 5 -> "The barcode reads EAN " + ean(r, "40") + ".";
            case 6 -> "Her order " + (2 + r.nextInt(7)) + digits(r, 9) + " shipped on 2024-0" + (1 + b % 9)
                    + "-1" + c + " at 12:3" + c + ":45.";
            case 7 -> "Unix time " + (1600000000 + r.nextInt(100000000)) + " marks the deploy.";
            case 8 -> "The population reached " + a + "," + digits(r, 3) + "," + digits(r, 3) + ","
                    + digits(r, 3) + " people.";
            case 9 -> "Device IMEI " + imei(r) + " was reported stolen.";
            case 10 -> "Per clause " + a + "." + b + "." + c + "." + d + " the tenant pays.";
            case 11 -> "Python " + (2 + b % 2) + "." + c + "." + d + " and version " + a + "." + b + "." + c
                    + "." + d + " differ.";
            case 12 -> "The table has " + a + " " + digits(r, 3) + " " + digits(r, 3) + " rows.";
            case 13 -> "Invoice no. " + digits(r, 10) + " is overdue.";
            case 14 -> "The " + isbn(r, false) + " edition sold out.";
            case 15 -> "Pi is about 3.14159265358979 and e is 2.71828182845904.";
            case 16 -> "Serial " + (1 + r.nextInt(9)) + digits(r, 15) + " passed the test.";
            default -> "Meet at " + (10 + a) + ":" + (10 + d % 50) + " on " + (1 + b) + "." + (1 + c) + ".2025.";
        };
    }

    /** A valid ISBN-13, hyphenated or not. */
    private static String isbn(SplittableRandom r, boolean hyphens) {
        String body = pick(r, new String[] {"978", "979"}) + digits(r, 9);
        String full = body + eanDigit(body);
        return hyphens ? group(full, new int[] {3, 1, 2, 6, 1}, "-") : full;
    }

    private static String ean(SplittableRandom r, String country) {
        String body = country + digits(r, 10);
        return body + eanDigit(body);
    }

    private static String imei(SplittableRandom r) {
        String body = "35" + digits(r, 12);
        return body + luhnDigit(body);
    }

    private static String group(String digits, int[] sizes, String sep) {
        StringBuilder sb = new StringBuilder();
        int at = 0;
        for (int s : sizes) {
            sb.append(at == 0 ? "" : sep).append(digits, at, at + s);
            at += s;
        }
        return sb.toString();
    }

    private static int eanDigit(String body) {
        int sum = 0;
        for (int i = 0; i < body.length(); i++) {
            sum += (body.charAt(i) - '0') * (i % 2 == 0 ? 1 : 3);
        }
        return (10 - sum % 10) % 10;
    }

    private static int luhnDigit(String body) {
        for (int d = 0; d < 10; d++) {
            if (PiiRedactor.luhnValid(body + d)) {
                return d;
            }
        }
        throw new IllegalStateException(body);
    }
}
