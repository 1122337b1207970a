// Where tests find the shared data and write scratch files.
#pragma once

#include <filesystem>
#include <string>

namespace skinscan::testing {

// ../shared/data beside the checkout, or $SKINSCAN_SHARED_DATA. Fails the test (not
// skips) when it is missing: CI has it.
std::filesystem::path shared_data();
std::filesystem::path ham10000_dir();
std::filesystem::path source_dir();
std::filesystem::path binary_dir();

// A fresh empty directory under the build tree, removed when the object dies.
class TempDir {
 public:
  explicit TempDir(const std::string& name);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& p) const { return path_ / p; }

 private:
  std::filesystem::path path_;
};

void write_text(const std::filesystem::path& p, const std::string& text);
// Runs the built `skinscan` binary with `args` (a shell command line tail); its exit status
// (-1 if it did not exit) and its stdout and stderr together.
struct Ran {
  int status;
  std::string output;
};
Ran run_skinscan(const std::string& args);

// The whole file as bytes ("" if it cannot be opened).
std::string read_text(const std::filesystem::path& p);

}  // namespace skinscan::testing
