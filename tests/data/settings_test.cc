// Settings: flag > environment > config file; a config file others can read is refused.
#include "data/settings.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "data/error.h"
#include "support/paths.h"

namespace skinscan {
namespace {

namespace fs = std::filesystem;

fs::path write_config(const fs::path& dir, const std::string& text, fs::perms perms) {
  const fs::path f = dir / "skinscan.conf";
  std::ofstream(f) << text;
  fs::permissions(f, perms);
  return f;
}

constexpr auto kOwnerOnly = fs::perms::owner_read | fs::perms::owner_write;

TEST(Settings, FileValuesQuotesAndComments) {
  testing::TempDir dir("settings");
  const auto f = write_config(dir.path(),
                              "# Twilio\n\nTWILIO_ACCOUNT_SID = AC123\n"
                              "SKINSCAN_TEST_QUOTED=\"two words\"\nSKINSCAN_TEST_EMPTY=\n",
                              kOwnerOnly);
  const Settings s = Settings::load(f.string());
  EXPECT_EQ(s.get("TWILIO_ACCOUNT_SID"), "AC123");
  EXPECT_EQ(s.get("SKINSCAN_TEST_QUOTED"), "two words");
  EXPECT_EQ(s.get("SKINSCAN_TEST_EMPTY"), "");
  EXPECT_EQ(s.get("SKINSCAN_TEST_ABSENT"), std::nullopt);
  EXPECT_EQ(s.get_or("SKINSCAN_TEST_ABSENT", "x"), "x");
}

TEST(Settings, FlagBeatsEnvironmentBeatsFile) {
  testing::TempDir dir("settings");
  const auto f = write_config(dir.path(), "SKINSCAN_TEST_PORT=1000\n", kOwnerOnly);
  const Settings s = Settings::load(f.string());
  ::unsetenv("SKINSCAN_TEST_PORT");
  EXPECT_EQ(s.pick(std::nullopt, "SKINSCAN_TEST_PORT"), "1000");
  ::setenv("SKINSCAN_TEST_PORT", "2000", 1);
  EXPECT_EQ(s.pick(std::nullopt, "SKINSCAN_TEST_PORT"), "2000");
  EXPECT_EQ(s.pick(std::string("3000"), "SKINSCAN_TEST_PORT"), "3000");
  ::unsetenv("SKINSCAN_TEST_PORT");
}

TEST(Settings, RefusesAFileOthersCanReadWithoutEchoingIt) {
  testing::TempDir dir("settings");
  const auto f = write_config(dir.path(), "TWILIO_AUTH_TOKEN=s3cr3t-token\n",
                              kOwnerOnly | fs::perms::group_read | fs::perms::others_read);
  try {
    Settings::load(f.string());
    FAIL() << "a world-readable config file was accepted";
  } catch (const DataError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("chmod 600"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("s3cr3t"), std::string::npos) << msg;
  }
}

TEST(Settings, MalformedLinesNameTheLineNotTheValue) {
  testing::TempDir dir("settings");
  const auto f = write_config(dir.path(), "SKINSCAN_A=1\nTWILIO_AUTH_TOKEN s3cr3t\n", kOwnerOnly);
  try {
    Settings::load(f.string());
    FAIL() << "a line without '=' was accepted";
  } catch (const DataError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(":2:"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("s3cr3t"), std::string::npos) << msg;
  }
  EXPECT_THROW(Settings::load((dir.path() / "missing.conf").string()), DataError);
  const auto lower = write_config(dir.path(), "skinscan_port=1\n", kOwnerOnly);
  EXPECT_THROW(Settings::load(lower.string()), DataError);
}

}  // namespace
}  // namespace skinscan
