package dev.phi4spark.jobs.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class SqlStatementsTest {

    @Test
    void splitsOnlyAtSemicolonsOutsideQuotesAndComments() {
        assertThat(SqlStatements.split("SELECT 'a;b'; SELECT \"c;\" -- d;\n; SELECT `e;f` /* g; */ ;;  SELECT 1"))
                .containsExactly("SELECT 'a;b'", "SELECT \"c;\" -- d;", "SELECT `e;f` /* g; */", "SELECT 1");
    }

    @Test
    void anEscapedQuoteDoesNotEndTheString() {
        assertThat(SqlStatements.split("SELECT 'it\\'s; fine'; SELECT 2"))
                .containsExactly("SELECT 'it\\'s; fine'", "SELECT 2");
    }

    @Test
    void theUnfinishedRestWaitsForMoreLines() {
        SqlStatements.Scan scan = SqlStatements.scan("SELECT 1;\nSELECT\n  'x;");
        assertThat(scan.statements()).containsExactly("SELECT 1");
        assertThat(scan.rest()).isEqualTo("\nSELECT\n  'x;");
        assertThat(SqlStatements.split("-- only a comment\n")).isEqualTo(List.of());
    }
}
