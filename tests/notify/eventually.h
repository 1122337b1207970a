// Polls `pred` until it holds; `limit` is only a safety net against hangs (never a timing
// assertion). Shared by the notify tests that wait for the background sender.
#pragma once

#include <chrono>
#include <thread>

namespace skinscan::notify::testing {

template <class Pred>
bool eventually(Pred pred, std::chrono::seconds limit = std::chrono::seconds(120)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

}  // namespace skinscan::notify::testing
