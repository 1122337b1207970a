#include "notify/sender.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>

#include "data/error.h"
#include "notify/message.h"
#include "notify/twilio_client.h"

namespace skinscan::notify {
namespace {

long long positive(const skinscan::Settings& s, const std::string& key, long long fallback) {
  const auto v = s.get(key);
  if (!v) return fallback;
  try {
    std::size_t used = 0;
    const long long n = std::stoll(*v, &used);
    if (used == v->size() && n > 0) return n;
  } catch (const std::exception&) {
  }
  throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument, key + " must be a positive integer");
}

// Log lines name rows by id: the recipient's number (Twilio repeats it in some errors) is
// replaced, names never appear. The database keeps the full text for operators.
std::string for_log(std::string text, const std::string& phone) {
  if (phone.empty()) return text;
  for (auto p = text.find(phone); p != std::string::npos; p = text.find(phone, p)) {
    text.replace(p, phone.size(), "<recipient>");
  }
  return text;
}

// Twilio's status in a 201 answer, as a row status: anything not yet sent is queued.
Status accepted_status(const std::string& twilio_status) {
  const auto s = parse_status(twilio_status);
  if (s == Status::kSent || s == Status::kDelivered || s == Status::kRead) return *s;
  return Status::kQueued;
}

// Time allowed, after a request ends, to commit its outcome before the row's lease ends.
constexpr std::chrono::milliseconds kCommitGrace{500};

}  // namespace

SenderOptions sender_options_from_settings(const skinscan::Settings& s) {
  SenderOptions o;
  o.initial_backoff = std::chrono::milliseconds(
      positive(s, "SKINSCAN_NOTIFY_INITIAL_BACKOFF_MS", o.initial_backoff.count()));
  o.max_backoff = std::chrono::milliseconds(
      positive(s, "SKINSCAN_NOTIFY_MAX_BACKOFF_MS", o.max_backoff.count()));
  o.deadline = std::chrono::seconds(positive(s, "SKINSCAN_NOTIFY_DEADLINE_S", o.deadline.count()));
  o.request_timeout =
      std::chrono::seconds(positive(s, "SKINSCAN_NOTIFY_TIMEOUT_S", o.request_timeout.count()));
  o.lease = std::chrono::seconds(positive(s, "SKINSCAN_NOTIFY_LEASE_S", o.lease.count()));
  if (o.lease <= o.request_timeout) {
    throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                          "SKINSCAN_NOTIFY_LEASE_S must be longer than SKINSCAN_NOTIFY_TIMEOUT_S");
  }
  o.idle_poll =
      std::chrono::milliseconds(positive(s, "SKINSCAN_NOTIFY_POLL_MS", o.idle_poll.count()));
  const std::string expire = s.get_or("SKINSCAN_NOTIFY_EXPIRE_UNCONFIGURED", "");
  o.expire_unconfigured = expire == "1" || expire == "true" || expire == "yes";
  return o;
}

Sender::Sender(Outbox& outbox, TwilioConfig cfg, SenderOptions options)
    : outbox_(outbox), cfg_(std::move(cfg)), opt_(options) {
  if (opt_.batch < 1) opt_.batch = 1;
  // A lease no longer than one request would give every row back unsent.
  if (opt_.lease <= opt_.request_timeout + kCommitGrace)
    opt_.lease = 2 * opt_.request_timeout + std::chrono::seconds(1);
}

Sender::~Sender() { stop(); }

void Sender::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  if (!cfg_.configured()) {
    spdlog::warn("WhatsApp: Twilio is not configured; reports stay not_configured");
    return;
  }
  stop_ = false;
  thread_ = std::thread([this] { loop(); });
}

void Sender::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Sender::wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

std::chrono::milliseconds Sender::backoff(int attempts) {
  // initial * 2^(attempts-1), capped; full jitter in [d/2, d].
  auto d = opt_.initial_backoff;
  for (int i = 1; i < attempts && d < opt_.max_backoff; ++i) d *= 2;
  d = std::min(d, opt_.max_backoff);
  std::uniform_int_distribution<long long> jitter(d.count() / 2, d.count());
  return std::chrono::milliseconds(jitter(rng_));
}

void Sender::deliver(const OutboxMessage& m) {
  const std::string body = compose_message(m.report);
  const std::string vars = content_variables(m.report, cfg_.numbered_variables);
  const SendResult r =
      post_message(cfg_, message_form(cfg_, m.to, body, vars), opt_.request_timeout);
  const char* who = recipient_code(m.recipient);
  switch (r.kind) {
    case SendResult::Kind::kAccepted:
      outbox_.mark_accepted(m.id, r.sid, accepted_status(r.status));
      spdlog::info("WhatsApp: message {} ({} of screening {}) accepted as {}", m.id, who,
                   m.screening_id, r.sid);
      return;
    case SendResult::Kind::kPermanent:
      outbox_.mark_failed(m.id, r.code, r.message);
      spdlog::warn("WhatsApp: message {} ({} of screening {}) failed: {}", m.id, who,
                   m.screening_id, for_log(r.message, m.to));
      return;
    case SendResult::Kind::kRetry:
      break;
  }
  const auto now = Clock::now();
  auto delay = backoff(m.attempts);
  if (r.retry_after) delay = std::max<std::chrono::milliseconds>(delay, *r.retry_after);
  const auto next = now + delay;
  const std::string reason = r.message.empty() ? r.code : r.message;
  if (next > m.created_at + opt_.deadline) {
    const std::string why = "not delivered within " + std::to_string(opt_.deadline.count()) +
                            " s after " + std::to_string(m.attempts) +
                            " attempt(s); last error: " + reason;
    outbox_.mark_failed(m.id, "deadline", why);
    spdlog::warn("WhatsApp: message {} ({} of screening {}) failed: {}", m.id, who, m.screening_id,
                 for_log(why, m.to));
    return;
  }
  outbox_.mark_retry(m.id, next, reason);
  spdlog::info("WhatsApp: message {} attempt {} failed ({}); retry in {} ms", m.id, m.attempts,
               for_log(reason, m.to),
               std::chrono::duration_cast<std::chrono::milliseconds>(delay).count());
}

int Sender::round(bool stoppable) {
  const auto claimed_at = Clock::now();
  const auto batch = outbox_.claim_due(claimed_at, opt_.batch, opt_.lease);
  std::size_t done = 0;
  for (; done < batch.size(); ++done) {
    if (stoppable) {
      std::lock_guard lock(mu_);
      if (stop_) break;
    }
    // The request and the commit of its outcome must end inside our lease, or another sender
    // could take the row and send it too: give the rest of the batch back instead.
    if (Clock::now() + opt_.request_timeout + kCommitGrace >= claimed_at + opt_.lease) break;
    try {
      deliver(batch[done]);
    } catch (const std::exception& e) {
      // The outbox (database) failed; the row stays claimed and is reclaimed when its lease
      // expires.
      spdlog::error("WhatsApp: message {}: {}", batch[done].id, e.what());
    }
  }
  // Claimed but not attempted (stopping, or the lease would run out): due again at once.
  for (std::size_t i = done; i < batch.size(); ++i) {
    try {
      outbox_.mark_retry(batch[i].id, Clock::now(), "not attempted: sender stopped or lease ended");
    } catch (const std::exception& e) {
      spdlog::error("WhatsApp: message {}: {}", batch[i].id, e.what());
    }
  }
  return static_cast<int>(done);
}

int Sender::run_once() {
  if (!cfg_.configured()) return 0;
  return round(/*stoppable=*/false);
}

void Sender::loop() {
  bool first = true;
  while (true) {
    std::size_t claimed = 0;
    std::optional<Clock::time_point> due;
    try {
      if (first) {
        const int n = outbox_.activate_unconfigured(opt_.expire_unconfigured);
        if (n > 0) {
          spdlog::info("WhatsApp: {} not_configured message(s) {}", n,
                       opt_.expire_unconfigured ? "expired" : "queued for sending");
        }
      }
      claimed = static_cast<std::size_t>(round(/*stoppable=*/true));
      first = false;
      due = outbox_.next_due();
    } catch (const std::exception& e) {
      spdlog::error("WhatsApp sender: {}", e.what());
      due = Clock::now() + std::chrono::seconds(1);
    }
    std::unique_lock lock(mu_);
    if (stop_) return;
    if (claimed == static_cast<std::size_t>(opt_.batch)) continue;  // maybe more due now
    auto until = Clock::now() + opt_.idle_poll;
    if (due) until = std::min(until, *due);
    cv_.wait_until(lock, until, [this] { return stop_ || woken_; });
    woken_ = false;
    if (stop_) return;
  }
}

}  // namespace skinscan::notify
