#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "tinyml/data/csv.hpp"
#include "tinyml/error.hpp"

using namespace tinyml;
using namespace tinyml::data;

namespace {
std::string error_of(std::string_view text, CsvOptions opt = {}) {
  try {
    parse_csv(text, "f.csv", opt);
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}
}  // namespace

TEST(Csv, QuotedFieldsWithDelimitersQuotesAndNewlines) {
  Table t = parse_csv("id,note\n1,\"a, b\"\n2,\"say \"\"hi\"\"\"\n3,\"two\nlines\"\n", "f.csv");
  ASSERT_EQ(t.rows(), 3u);
  const Column& note = t.at("note");
  EXPECT_EQ(note.type, ColumnType::Categorical);
  EXPECT_EQ(note.text(0), "a, b");
  EXPECT_EQ(note.text(1), "say \"hi\"");
  EXPECT_EQ(note.text(2), "two\nlines");
}

TEST(Csv, CrlfAndBom) {
  Table t = parse_csv("\xEF\xBB\xBFtime,temp\r\n1,20.5\r\n2,21\r\n", "f.csv");
  ASSERT_EQ(t.columns.size(), 2u);
  EXPECT_EQ(t.columns[0].name, "time");  // the BOM is not part of the first name
  EXPECT_EQ(t.rows(), 2u);
  EXPECT_DOUBLE_EQ(t.at("temp").values[1], 21.0);
}

TEST(Csv, ConfigurableAndDetectedDelimiter) {
  CsvOptions o;
  o.delimiter = ';';
  Table t = parse_csv("a;b\n1,5;2\n", "f.csv", o);
  EXPECT_EQ(t.at("a").type, ColumnType::Categorical);  // "1,5" is not a number
  EXPECT_EQ(t.at("a").text(0), "1,5");
  o.delimiter = '\0';
  Table u = parse_csv("a\tb\n1\t2\n", "f.csv", o);
  EXPECT_EQ(u.columns.size(), 2u);
}

TEST(Csv, MissingMarkersAndSentinels) {
  CsvOptions o;
  o.sentinels = {-999};
  Table t = parse_csv("v\n1\n\nNA\nNaN\nnull\n-999\n2\n", "f.csv", o);
  // The blank line in a one-column file is a missing value.
  const Column& v = t.at("v");
  ASSERT_EQ(t.rows(), 7u);
  EXPECT_EQ(v.missing_count(), 5u);
  EXPECT_DOUBLE_EQ(v.values[6], 2.0);
  o.missing = {"?"};
  Table u = parse_csv("v\n1\n?\n3\n", "f.csv", o);
  EXPECT_EQ(u.at("v").missing_count(), 1u);
}

TEST(Csv, InfersTypes) {
  Table t = parse_csv(
      "when,x,n,cat\n"
      "2024-01-01T00:00:00Z,1.5,1,a\n"
      "2024-01-01T00:00:05+00:00,2.5,2,b\n",
      "f.csv");
  EXPECT_EQ(t.at("when").type, ColumnType::Timestamp);
  EXPECT_EQ(t.time_column, 0);
  EXPECT_DOUBLE_EQ(t.at("when").values[1] - t.at("when").values[0], 5.0);
  EXPECT_DOUBLE_EQ(t.at("when").values[0], 1704067200.0);
  EXPECT_EQ(t.at("x").type, ColumnType::Number);
  EXPECT_EQ(t.at("n").type, ColumnType::Integer);
  EXPECT_EQ(t.at("cat").type, ColumnType::Categorical);
}

TEST(Csv, EpochSecondsAndMillis) {
  Table s = parse_csv("timestamp,v\n1700000000,1\n1700000005,2\n", "f.csv");
  EXPECT_EQ(s.at("timestamp").time_format, TimeFormat::EpochSeconds);
  Table ms = parse_csv("timestamp,v\n1700000000000,1\n1700000005500,2\n", "f.csv");
  EXPECT_EQ(ms.at("timestamp").time_format, TimeFormat::EpochMillis);
  EXPECT_DOUBLE_EQ(ms.at("timestamp").values[1], 1700000005.5);
  EXPECT_EQ(ms.at("timestamp").text(1), "1700000005500");
}

TEST(Csv, IndexTime) {
  CsvOptions o;
  o.time_column = "reading";
  o.time_format = TimeFormat::Index;
  o.index_period_s = 5;
  Table t = parse_csv("reading,v\n1,1\n2,2\n", "f.csv", o);
  EXPECT_DOUBLE_EQ(t.at("reading").values[1], 10.0);
  EXPECT_EQ(t.at("reading").text(1), "2");
}

TEST(Csv, TimeZonesAndBasicDates) {
  double s;
  bool z;
  ASSERT_TRUE(parse_iso8601("2024-03-01T12:00:00+02:00", s, z));
  EXPECT_TRUE(z);
  double u;
  ASSERT_TRUE(parse_iso8601("2024-03-01T10:00:00Z", u, z));
  EXPECT_DOUBLE_EQ(s, u);
  ASSERT_TRUE(parse_iso8601("19580329", s, z));
  EXPECT_EQ(format_iso8601(s, false), "1958-03-29T00:00:00");
  EXPECT_FALSE(parse_iso8601("2024-02-30", s, z));
  EXPECT_FALSE(parse_iso8601("2024-13-01", s, z));
  EXPECT_FALSE(parse_iso8601("hello", s, z));
  EXPECT_EQ(format_iso8601(1704067200.25, true), "2024-01-01T00:00:00.250Z");
}

TEST(Csv, RaggedRowNamesTheLine) {
  EXPECT_EQ(error_of("a,b\n1,2\n3\n"), "f.csv:3: expected 2 fields (as in the header) but found 1");
}

TEST(Csv, LineNumbersCountNewlinesInsideQuotes) {
  EXPECT_EQ(error_of("a,b\n1,\"x\ny\"\n3\n"), "f.csv:4: expected 2 fields (as in the header) but found 1");
}

TEST(Csv, NonNumericValueAfterInference) {
  CsvOptions o;
  o.infer_rows = 2;
  std::string e = error_of("a,b\n1,2\n3,4\n5,x\n", o);
  EXPECT_NE(e.find("f.csv:4: column 'b'"), std::string::npos) << e;
  EXPECT_NE(e.find("'x' is not a number"), std::string::npos) << e;
}

TEST(Csv, DeclaredTypesAreEnforced) {
  CsvOptions o;
  o.types["b"] = ColumnType::Integer;
  EXPECT_NE(error_of("a,b\n1,2\n3,4.5\n", o).find("declared integer"), std::string::npos);
  o.types.clear();
  o.types["zzz"] = ColumnType::Number;
  EXPECT_NE(error_of("a,b\n1,2\n", o).find("column 'zzz', which the file does not have"),
            std::string::npos);
}

TEST(Csv, InvalidUtf8NamesLineAndColumn) {
  EXPECT_EQ(error_of("a,b\nx,\xC3\x28\n"), "f.csv:2:3: invalid UTF-8 byte 0xC3 (save the file as UTF-8)");
  EXPECT_EQ(find_invalid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"), std::string_view::npos);
  EXPECT_EQ(find_invalid_utf8("\xC0\xAF"), 0u);          // overlong
  EXPECT_EQ(find_invalid_utf8("ab\xED\xA0\x80"), 2u);   // surrogate
}

TEST(Csv, EmptyHeaderOnlyAndUnterminatedQuote) {
  EXPECT_EQ(error_of(""), "f.csv: empty file (expected a header row and data rows)");
  EXPECT_EQ(error_of("\xEF\xBB\xBF"), "f.csv: empty file (expected a header row and data rows)");
  EXPECT_EQ(error_of("a,b\n"), "f.csv:1: the file has a header row but no data rows");
  EXPECT_EQ(error_of("a,b\n1,\"x\n"), "f.csv:2:3: unterminated quoted field (the closing quote is missing)");
  EXPECT_NE(error_of("a,b\n1,\"x\"y\n").find("after a quoted field"), std::string::npos);
  EXPECT_NE(error_of("a,a\n1,2\n").find("duplicate column name 'a'"), std::string::npos);
}

TEST(Csv, HugeLineIsRejectedQuickly) {
  std::string big(10'000'000, 'x');
  EXPECT_NE(error_of(big).find("field longer than"), std::string::npos);
}

TEST(Csv, SkipRowsAndNoHeader) {
  CsvOptions o;
  o.skip_rows = 1;
  o.header = false;
  Table t = parse_csv("150,4,setosa\n5.1,3.5,0\n4.9,3.0,1\n", "f.csv", o);
  ASSERT_EQ(t.columns.size(), 3u);
  EXPECT_EQ(t.columns[2].name, "c3");
  EXPECT_EQ(t.rows(), 2u);
  o.skip_rows = 0;
  EXPECT_NE(error_of("a,b\n1,2\n3\n", o).find("f.csv:3:"), std::string::npos);
}

TEST(Csv, WriteRoundTrip) {
  std::string text = "id,note,v\n1,\"a, \"\"b\"\"\",0.1\n2,plain,\n3,\"x\ny\",1e+300\n";
  Table t = parse_csv(text, "f.csv");
  std::string out = write_csv(t);
  Table u = parse_csv(out, "g.csv");
  ASSERT_EQ(u.rows(), 3u);
  EXPECT_EQ(u.at("note").text(0), "a, \"b\"");
  EXPECT_EQ(u.at("note").text(2), "x\ny");
  EXPECT_TRUE(std::isnan(u.at("v").values[1]));
  EXPECT_EQ(u.at("v").values[0], 0.1);
  EXPECT_EQ(u.at("v").values[2], 1e300);
  EXPECT_EQ(write_csv(u), out);
}

TEST(Csv, ManyEscapedFieldsInOneRecordStayIntact) {
  // Found by fuzzing: unescaped fields must survive the growth of the scratch storage.
  std::string line = "\"a\"\"1\",\"b\"\"2\",\"c\"\"3\",\"d\"\"4\",\"e\"\"5\"";
  Table t = parse_csv("h1,h2,h3,h4,h5\n" + line + "\n" + line + "\n", "f.csv");
  EXPECT_EQ(t.columns[0].text(1), "a\"1");
  EXPECT_EQ(t.columns[4].text(0), "e\"5");
  Table u = parse_csv("\"x\"\"1\",\"y\"\"2\"\n1,2\n", "g.csv");
  EXPECT_EQ(u.columns[0].name, "x\"1");
  EXPECT_EQ(u.columns[1].name, "y\"2");
}
