#include "data/progress.h"

#include <unistd.h>

#include <cstdio>

namespace skinscan {

Progress::Progress(std::string label, std::size_t total, bool force_enabled)
    : label_(std::move(label)),
      total_(total),
      enabled_(force_enabled || isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_ - std::chrono::seconds(1)) {}

Progress::~Progress() { finish(); }

double Progress::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::advance(std::size_t n) {
  done_.fetch_add(n);
  if (!enabled_) return;
  std::lock_guard lock(mu_);
  if (std::chrono::steady_clock::now() - last_draw_ >= std::chrono::milliseconds(100)) {
    draw(false);
  }
}

void Progress::set_suffix(std::string suffix) {
  std::lock_guard lock(mu_);
  suffix_ = std::move(suffix);
}

void Progress::finish() {
  std::lock_guard lock(mu_);
  if (finished_) return;
  finished_ = true;
  if (enabled_) draw(true);
}

void Progress::draw(bool final) {
  last_draw_ = std::chrono::steady_clock::now();
  const std::size_t done = std::min(done_.load(), total_);
  const double frac = total_ ? static_cast<double>(done) / static_cast<double>(total_) : 1.0;
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(frac * kWidth);
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.resize(kWidth, '.');
  const double secs = elapsed_seconds();
  const double rate = secs > 0 ? static_cast<double>(done) / secs : 0.0;
  const double eta = rate > 0 ? static_cast<double>(total_ - done) / rate : 0.0;
  std::fprintf(stderr, "\r%s [%s] %zu/%zu %.0f/s %s %.0fs %s\033[K%s", label_.c_str(), bar.c_str(),
               done, total_, rate, final ? "in" : "ETA", final ? secs : eta, suffix_.c_str(),
               final ? "\n" : "");
  std::fflush(stderr);
}

}  // namespace skinscan
