#include "plot/gnuplot.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include "data/error.h"

namespace skinscan::plot {

namespace {

// Runs `gnuplot SCRIPT` with stdout and stderr to LOG, without a shell (paths are never
// parsed by /bin/sh). Returns the wait status, or -1 when gnuplot cannot be started.
int run_gnuplot(const std::filesystem::path& script, const std::filesystem::path& log) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  std::string prog = "gnuplot", arg = script.string();
  char* argv[] = {prog.data(), arg.data(), nullptr};
  pid_t pid = 0;
  const int err = posix_spawnp(&pid, "gnuplot", &fa, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (err != 0) return -1;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return status;
}

constexpr const char* kFont = "DejaVu Sans,12";
constexpr int kWidth = 1100;
constexpr int kHeight = 650;

}  // namespace

std::string data_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (c == '\n' || c == '\r') c = ' ';
    out.push_back(c);
  }
  return out + "\"";
}

std::string command_string(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out.push_back('\'');
    if (c == '\n' || c == '\r') c = ' ';
    out.push_back(c);
  }
  return out + "'";
}

void render_charts(const std::vector<ChartSpec>& charts, const std::filesystem::path& out_dir) {
  std::ostringstream script;
  for (const ChartSpec& c : charts) {
    for (const char* ext : {"png", "svg"}) {
      script << "reset\n";
      if (std::string(ext) == "png") {
        script << "set terminal pngcairo size " << kWidth << "," << kHeight << " font '" << kFont
               << "' noenhanced\n";
      } else {
        script << "set terminal svg size " << kWidth << "," << kHeight << " font '" << kFont
               << "' noenhanced\n";
      }
      script << "set output " << command_string((out_dir / (c.name + "." + ext)).string()) << "\n"
             << c.script << "unset output\n";
    }
  }
  const auto script_path = out_dir / ".charts.gp";
  const auto log_path = out_dir / ".gnuplot.log";
  {
    std::ofstream f(script_path);
    f << script.str();
    if (!f) throw skinscan::Error(skinscan::ErrorCode::kIo, "cannot write " + script_path.string());
  }
  const int rc = run_gnuplot(script_path, log_path);
  std::ifstream log(log_path);
  std::stringstream log_text;
  log_text << log.rdbuf();
  if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc) != 0) {
    std::string hint = (rc == -1 || (WIFEXITED(rc) && WEXITSTATUS(rc) == 127))
                           ? " (is gnuplot installed? scripts/setup installs gnuplot-nox)"
                           : "";
    throw skinscan::Error(skinscan::ErrorCode::kUnavailable,
                          "gnuplot failed" + hint + ": " + log_text.str());
  }
  std::filesystem::remove(script_path);
  std::filesystem::remove(log_path);
}

}  // namespace skinscan::plot
