// A terminal progress bar on stderr: shown only when stderr is a terminal (quiet in
// logs and tests), thread-safe, redrawn at most ~10 times a second.
//
//   Progress bar("Loading images", n);
//   ... bar.advance();               // from any thread
//   bar.set_suffix("loss 0.42");     // extra text after the counts
//   bar.finish();                    // final line (also done by the destructor)
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>

namespace skinscan {

class Progress {
 public:
  Progress(std::string label, std::size_t total, bool force_enabled = false);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void advance(std::size_t n = 1);
  void set_suffix(std::string suffix);
  void finish();
  bool enabled() const { return enabled_; }
  std::size_t done() const { return done_.load(); }
  double elapsed_seconds() const;

 private:
  void draw(bool final);

  std::string label_;
  std::size_t total_;
  bool enabled_;
  bool finished_ = false;
  std::atomic<std::size_t> done_{0};
  std::mutex mu_;
  std::string suffix_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace skinscan
