// Configuration lookup shared by every stage: a command-line flag beats an environment
// variable, which beats the optional config file. Documented in docs/configuration.md.
//
// The config file holds KEY=VALUE lines (blank lines and lines starting with '#' ignored,
// surrounding whitespace trimmed, optional matching quotes around the value stripped), with
// the same keys as the environment (SKINSCAN_*, TWILIO_*). Because it may hold the Twilio
// auth token, load() refuses a file that group or others can read (mode & 077 != 0) and
// never puts a value into an error message.
#pragma once

#include <map>
#include <optional>
#include <string>

namespace skinscan {

class Settings {
 public:
  Settings() = default;
  // Throws DataError: unreadable file, permissions too open, malformed line (by number).
  static Settings load(const std::string& config_file);
  // The file named by $SKINSCAN_CONFIG if set, else no file.
  static Settings from_environment();

  // Environment variable `key`, else the file's value, else nullopt.
  std::optional<std::string> get(const std::string& key) const;
  std::string get_or(const std::string& key, const std::string& fallback) const;
  // The flag value if given (non-empty optional), else get(key).
  std::optional<std::string> pick(const std::optional<std::string>& flag,
                                  const std::string& key) const;

  const std::string& file() const { return file_; }

 private:
  std::string file_;
  std::map<std::string, std::string> values_;
};

}  // namespace skinscan
