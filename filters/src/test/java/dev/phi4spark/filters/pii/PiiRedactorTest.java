package dev.phi4spark.filters.pii;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phi4spark.filters.CleanedText;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PiiRedactorTest {
    private final PiiRedactor redactor = new PiiRedactor();

    private CleanedText clean(String text) {
        return redactor.clean(text);
    }

    @Test
    void redactsEmailAddresses() {
        CleanedText c = clean("Write to jane.doe+news@example.co.uk or to bob@mail.example.org today.");
        assertThat(c.text()).isEqualTo("Write to <EMAIL> or to <EMAIL> today.");
        assertThat(c.counts()).isEqualTo(Map.of("EMAIL", 2));
    }

    @Test
    void redactsPhoneNumbers() {
        CleanedText c = clean("Call (415) 823-4567, +1 212 963 4567, +44 20 7946 0958 or 617.253.1000.");
        assertThat(c.text()).isEqualTo("Call <PHONE>, <PHONE>, <PHONE> or <PHONE>.");
        assertThat(c.count("PHONE")).isEqualTo(4);
    }

    @Test
    void leavesFictionalNumbersOutsideTheNumberingPlansAlone() {
        String text = "In the film she calls (555) 123-4567 and 555.123.4567.";
        assertThat(clean(text).text()).isEqualTo(text);
    }

    @Test
    void redactsOnlyTheConfiguredKindsAndRegions() {
        PiiRedactor emailOnly = new PiiRedactor(java.util.List.of("email"), java.util.List.of("US"));
        assertThat(emailOnly.clean("a@b.io at 10.0.0.1, call +44 7712 794026").text())
                .isEqualTo("<EMAIL> at 10.0.0.1, call +44 7712 794026");
        PiiRedactor british = new PiiRedactor(PiiRedactor.KINDS, java.util.List.of("GB"));
        assertThat(british.clean("Ring 07712 794026 or 0161 496 0000 today.").text())
                .isEqualTo("Ring <PHONE> or <PHONE> today.");
        assertThat(redactor.clean("Ring 07712 794026 today.").text()).isEqualTo("Ring 07712 794026 today.");
    }

    @Test
    void explainsAnUnknownKindOrRegion() {
        org.assertj.core.api.Assertions.assertThatThrownBy(
                () -> new PiiRedactor(java.util.List.of("EMAILS"), java.util.List.of("US")))
                .hasMessage("Cannot create PII redactor: unknown kind 'EMAILS' (known: SECRET, EMAIL,"
                        + " CARD_NUMBER, IP_ADDRESS, PHONE)");
        org.assertj.core.api.Assertions.assertThatThrownBy(
                () -> new PiiRedactor(PiiRedactor.KINDS, java.util.List.of("UK")))
                .hasMessage("Cannot create PII redactor: unknown phone region 'UK' (use ISO 3166 codes"
                        + " such as US, GB, DE)");
    }

    @Test
    void redactsIpAddresses() {
        CleanedText c = clean("Hosts 192.168.1.20, 2001:0db8:85a3:0000:0000:8a2e:0370:7334 and fe80::1 answer.");
        assertThat(c.text()).isEqualTo("Hosts <IP_ADDRESS>, <IP_ADDRESS> and <IP_ADDRESS> answer.");
        assertThat(c.counts()).isEqualTo(Map.of("IP_ADDRESS", 3));
    }

    @Test
    void redactsLuhnValidCardNumbers() {
        CleanedText c = clean("Card 4111 1111 1111 1111 or 5500-0000-0000-0004 or 378282246310005.");
        assertThat(c.text()).isEqualTo("Card <CARD_NUMBER> or <CARD_NUMBER> or <CARD_NUMBER>.");
        assertThat(c.count("CARD_NUMBER")).isEqualTo(3);
    }

    @Test
    void redactsSecretKeys() {
        String pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7\nabc+/=\n-----END RSA PRIVATE KEY-----";
        String text = String.join(" ",
                "aws=AKIAIOSFODNN7EXAMPLE",
                "gh=ghp_abcdefghijklmnopqrstuvwxyz0123456789",
                "slack=xoxb-123456789012-abcdefABCDEF",
                "openai=sk-proj4aB9cD0eF1gH2iJ3kL4mN5",
                "jwt=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk",
                pem);
        CleanedText c = clean(text);
        assertThat(c.text()).isEqualTo(
                "aws=<SECRET> gh=<SECRET> slack=<SECRET> openai=<SECRET> jwt=<SECRET> <SECRET>");
        assertThat(c.counts()).isEqualTo(Map.of("SECRET", 6));
    }

    @Test
    void countsEachKindInAMixedDocument() {
        CleanedText c = clean("Mail a@b.io from 10.0.0.1, call 312-746-4567, pay 4111111111111111.");
        assertThat(c.text()).isEqualTo("Mail <EMAIL> from <IP_ADDRESS>, call <PHONE>, pay <CARD_NUMBER>.");
        assertThat(c.counts())
                .isEqualTo(Map.of("EMAIL", 1, "IP_ADDRESS", 1, "PHONE", 1, "CARD_NUMBER", 1));
        assertThat(c.total()).isEqualTo(4);
    }

    @Test
    void leavesNearMissesAlone() {
        String text = String.join("\n",
                "Order 4111 1111 1111 1112 failed the checksum.",
                "Upgrade to version 1.2.3.4 or v10.0.0.1 or release 2.0.1.7 now.",
                "The address 300.168.1.999 does not exist.",
                "Dates like 2024-01-15 and 12:30:45, times 10:45, std::vector and Abc::Def stay.",
                "Build 1.2.3.4.5 and the number 1234567 and sk-short stay too.",
                "Email me at example dot com, not an address.");
        CleanedText c = clean(text);
        assertThat(c.text()).isEqualTo(text);
        assertThat(c.counts()).isEmpty();
    }

    @Test
    void checksLuhn() {
        assertThat(PiiRedactor.luhnValid("4111111111111111")).isTrue();
        assertThat(PiiRedactor.luhnValid("4111111111111112")).isFalse();
        assertThat(PiiRedactor.luhnValid("0000 0000 0000 0000")).isFalse();
    }

    @Test
    void validatesIpv6Groups() {
        assertThat(PiiRedactor.isIpv6("::1")).isFalse();
        assertThat(PiiRedactor.isIpv6("2001:db8::ff00:42:8329")).isTrue();
        assertThat(PiiRedactor.isIpv6("1:2:3:4:5:6:7")).isFalse();
        assertThat(PiiRedactor.isIpv6("12345::1")).isFalse();
    }
}
