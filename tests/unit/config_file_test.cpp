// `agent --config FILE`: options of a subcommand from TOML (cli/config_file.h).
#include "cli/config_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

namespace kst::cli {
namespace {

struct ConfigFixture : ::testing::Test {
  CLI::App app{"t"};
  CLI::App* sub = app.add_subcommand("agent");
  double hold = 20;
  std::string dir = "/var/lib/kswaptrace";
  bool json = false;
  std::string path;
  void SetUp() override {
    sub->add_option("--hold", hold)->check(CLI::Range(0.0, 3600.0));
    sub->add_option("--state-dir", dir);
    sub->add_flag("-j,--json", json);
    char t[] = "/tmp/kst-config-test.XXXXXX";
    const int fd = mkstemp(t);
    close(fd);
    path = t;
  }
  void TearDown() override { unlink(path.c_str()); }
  void write(const std::string& s) { std::ofstream(path) << s; }
  std::string error_of(const std::string& cmdline) {
    app.parse(cmdline);
    try {
      apply_config_file(*sub, path);
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    return "";
  }
};

TEST_F(ConfigFixture, KeysSetOptionsAndTheCommandLineWins) {
  write("hold = 5\nstate_dir = \"/srv/kst\"\njson = true\n");
  EXPECT_EQ(error_of("agent --hold 7"), "");
  EXPECT_EQ(hold, 7);
  EXPECT_EQ(dir, "/srv/kst");
  EXPECT_TRUE(json);
}

TEST_F(ConfigFixture, SectionNamedAfterTheSubcommand) {
  write("[agent]\nhold = 5\n");
  EXPECT_EQ(error_of("agent"), "");
  EXPECT_EQ(hold, 5);
}

TEST_F(ConfigFixture, UnknownKeyUnknownSectionBadValueAndMissingFile) {
  write("hold = 5\nno_such_key = 1\n");
  EXPECT_NE(error_of("agent").find("unknown key 'no_such_key'"), std::string::npos);
  write("[other]\nhold = 5\n");
  EXPECT_NE(error_of("agent").find("unknown section [other]"), std::string::npos);
  write("hold = 99999\n");
  EXPECT_NE(error_of("agent").find("hold"), std::string::npos);
  unlink(path.c_str());
  EXPECT_NE(error_of("agent").find("cannot read config file"), std::string::npos);
}

}  // namespace
}  // namespace kst::cli
