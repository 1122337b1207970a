// The background sender: delivers the outbox's notification rows through Twilio.
//
// Guarantee: at-least-once. Rows are claimed (pending -> sending, with a lease) before the
// request and marked accepted after Twilio's 201; a crash in between leaves the row in
// `sending`, and any sender (this one restarted, or another instance's) reclaims it when the
// lease expires, so a message is never lost but may be sent twice if the crash hit the
// narrow window between Twilio's 201 and the database update. A live sender never sends a
// row whose lease could run out during the request (it gives such rows back), so several
// senders on one database never send the same row twice.
//
// Retries: network errors, timeouts, 429 and 5xx go back to pending with exponential backoff
// (initial_backoff doubling per attempt, capped at max_backoff, full jitter in [d/2, d]),
// never sooner than Retry-After; once `deadline` has passed since the row was created the
// row is failed with the last reason. Other 4xx fail at once with Twilio's code and message.
// When Twilio is not configured the sender does nothing (rows stay not_configured).
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>

#include "notify/outbox.h"
#include "notify/twilio_config.h"

namespace skinscan::notify {

struct SenderOptions {
  std::chrono::milliseconds initial_backoff{2000};
  std::chrono::milliseconds max_backoff{300000};
  std::chrono::seconds deadline{24 * 3600};  // since the row's creation
  std::chrono::seconds request_timeout{15};  // whole HTTP request
  // How long a claimed row stays ours; must exceed request_timeout. A row of a sender that
  // died is sent again by another sender this long after it was claimed.
  std::chrono::seconds lease{60};
  bool expire_unconfigured = false;  // at start: expire not_configured rows instead of sending
  int batch = 16;                    // rows claimed per round
  // Longest sleep between looks at the outbox when nothing is due and nobody calls wake()
  // (rows written by another process, operator resends).
  std::chrono::milliseconds idle_poll{5000};
};

// SenderOptions from Settings (environment > config file), defaults for absent keys:
// SKINSCAN_NOTIFY_INITIAL_BACKOFF_MS, SKINSCAN_NOTIFY_MAX_BACKOFF_MS,
// SKINSCAN_NOTIFY_DEADLINE_S, SKINSCAN_NOTIFY_TIMEOUT_S, SKINSCAN_NOTIFY_LEASE_S,
// SKINSCAN_NOTIFY_POLL_MS, SKINSCAN_NOTIFY_EXPIRE_UNCONFIGURED (1/true/yes). Throws
// skinscan::Error (invalid_argument) naming the key when a value is not a positive integer, or when
// the lease is not longer than the request timeout.
SenderOptions sender_options_from_settings(const skinscan::Settings& settings);

class Sender {
 public:
  // `outbox` must outlive the Sender.
  Sender(Outbox& outbox, TwilioConfig cfg, SenderOptions options = {});
  ~Sender();  // stop()s
  Sender(const Sender&) = delete;
  Sender& operator=(const Sender&) = delete;

  // Starts the background thread. At start (when configured): activate_unconfigured(); rows
  // left in `sending` by a crash are reclaimed when their lease expires. No-op when already
  // running.
  void start();
  // Finishes the request in flight (bounded by request_timeout), then returns.
  void stop();
  // A new row was written: look for due rows now instead of at the next timer.
  void wake();

  // One synchronous round (claims due rows and sends them); returns rows processed. For
  // tools and tests; do not mix with a running thread.
  int run_once();

 private:
  void loop();
  // Claims due rows and delivers them; when `stoppable`, stops between rows once stop() was
  // called, putting the claimed rows not yet tried back to pending.
  int round(bool stoppable);
  void deliver(const OutboxMessage& m);
  std::chrono::milliseconds backoff(int attempts);

  Outbox& outbox_;
  TwilioConfig cfg_;
  SenderOptions opt_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool woken_ = false;
  std::mt19937_64 rng_{std::random_device{}()};
};

}  // namespace skinscan::notify
