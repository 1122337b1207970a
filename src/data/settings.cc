#include "data/settings.h"

#include <sys/stat.h>

#include <cctype>
#include <cstdlib>
#include <fstream>

#include "data/error.h"

namespace skinscan {
namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

}  // namespace

Settings Settings::load(const std::string& config_file) {
  struct stat st {};
  if (::stat(config_file.c_str(), &st) != 0) {
    throw DataError(where(config_file, 0, "config file not found"));
  }
  if ((st.st_mode & 077) != 0) {
    throw DataError(where(config_file, 0,
                          "config file is readable by group or others; it may hold secrets, "
                          "run: chmod 600 " +
                              config_file));
  }
  std::ifstream in(config_file);
  if (!in) throw DataError(where(config_file, 0, "cannot read config file"));
  Settings s;
  s.file_ = config_file;
  std::string line;
  std::size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    const std::string t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    const auto eq = t.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw DataError(where(config_file, n, "expected KEY=VALUE"));
    }
    std::string key = trim(t.substr(0, eq));
    std::string value = trim(t.substr(eq + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    for (char c : key) {
      if (!(std::isupper(static_cast<unsigned char>(c)) ||
            std::isdigit(static_cast<unsigned char>(c)) || c == '_')) {
        throw DataError(where(config_file, n, "key must be upper-case letters, digits and _"));
      }
    }
    s.values_[key] = value;
  }
  return s;
}

Settings Settings::from_environment() {
  const char* f = std::getenv("SKINSCAN_CONFIG");
  if (f != nullptr && *f != '\0') return load(f);
  return {};
}

std::optional<std::string> Settings::get(const std::string& key) const {
  if (const char* v = std::getenv(key.c_str()); v != nullptr && *v != '\0') return v;
  if (auto it = values_.find(key); it != values_.end()) return it->second;
  return std::nullopt;
}

std::string Settings::get_or(const std::string& key, const std::string& fallback) const {
  return get(key).value_or(fallback);
}

std::optional<std::string> Settings::pick(const std::optional<std::string>& flag,
                                          const std::string& key) const {
  if (flag && !flag->empty()) return flag;
  return get(key);
}

}  // namespace skinscan
