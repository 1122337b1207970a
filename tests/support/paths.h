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
// The whole file as bytes ("" if it cannot be opened).
std::string read_text(const std::filesystem::path& p);

}  // namespace skinscan::testing
