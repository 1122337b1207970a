#include "support/paths.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace fs = std::filesystem;

namespace skinscan::testing {

fs::path source_dir() { return SKINSCAN_SOURCE_DIR; }
fs::path binary_dir() { return SKINSCAN_BINARY_DIR; }

fs::path shared_data() {
  if (const char* env = std::getenv("SKINSCAN_SHARED_DATA")) return env;
  fs::path p = fs::path(SKINSCAN_SOURCE_DIR).parent_path() / "shared" / "data";
  if (!fs::exists(p / "ham10000" / "HAM10000_metadata.csv")) {
    throw std::runtime_error("shared HAM10000 data not found at " + p.string() +
                             " (set SKINSCAN_SHARED_DATA)");
  }
  return p;
}

fs::path ham10000_dir() { return shared_data() / "ham10000"; }

TempDir::TempDir(const std::string& name) {
  path_ = binary_dir() / "test-tmp" / (name + "-" + std::to_string(::getpid()));
  fs::remove_all(path_);
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void write_text(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream f(p, std::ios::binary);
  f << text;
  if (!f) throw std::runtime_error("cannot write " + p.string());
}

Ran run_skinscan(const std::string& args) {
  const std::string cmd = (binary_dir() / "skinscan").string() + " " + args + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) throw std::runtime_error("cannot run " + cmd);
  std::string out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int st = ::pclose(p);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

std::string read_text(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

}  // namespace skinscan::testing
