#include "core/untrusted_text.h"

#include <gtest/gtest.h>

namespace kst {
namespace {

TEST(UntrustedText, ValidUtf8IsUnchanged) {
  EXPECT_EQ(to_valid_utf8("kswapd0"), "kswapd0");
  EXPECT_EQ(to_valid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
            "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
}

TEST(UntrustedText, InvalidBytesBecomeReplacementCharacters) {
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(to_valid_utf8("a\xFF"
                          "b"),
            "a" + r + "b");
  EXPECT_EQ(to_valid_utf8("\xC0\xAF"), r + r);                  // overlong '/'
  EXPECT_EQ(to_valid_utf8("\xED\xA0\x80"), r + r + r);          // a UTF-16 surrogate
  EXPECT_EQ(to_valid_utf8("\xF4\x90\x80\x80"), r + r + r + r);  // above U+10FFFF
  EXPECT_EQ(to_valid_utf8("x\xE2\x82"), "x" + r + r);           // truncated at the end
}

TEST(UntrustedText, TerminalSafeEscapesControlsAndInvalidBytes) {
  // an OSC title sequence and a screen clear, as a process name could hold them
  EXPECT_EQ(terminal_safe("\x1B]0;pwned\x07\x1B[2J"), "\\x1b]0;pwned\\x07\\x1b[2J");
  EXPECT_EQ(terminal_safe("a\xFFz"), "a\\xffz");
  EXPECT_EQ(terminal_safe("del\x7F"), "del\\x7f");
  EXPECT_EQ(terminal_safe("csi\xC2\x9B"), "csi\\x9b");  // U+009B, the 8-bit CSI
  EXPECT_EQ(terminal_safe("line\n\tnext"), "line\n\tnext");
  EXPECT_EQ(terminal_safe("line\n\tnext", false), "line\\x0a\\x09next");
  EXPECT_EQ(terminal_safe("caf\xC3\xA9"), "caf\xC3\xA9");
}

TEST(UntrustedText, JsonTextNeverThrows) {
  nlohmann::json j = {{"comm", std::string("\xFF\xFE\x1B[2J")}};
  EXPECT_THROW((void)j.dump(), nlohmann::json::type_error);  // what the writers did before
  const std::string s = json_text(j);
  EXPECT_EQ(s, "{\"comm\":\"\xEF\xBF\xBD\xEF\xBF\xBD\\u001b[2J\"}");
  EXPECT_EQ(nlohmann::json::parse(s)["comm"], "\xEF\xBF\xBD\xEF\xBF\xBD\x1B[2J");
}

}  // namespace
}  // namespace kst
