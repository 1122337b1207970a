#include "notify/outbox.h"

#include <array>
#include <utility>

namespace skinscan::notify {
namespace {

constexpr std::array<std::pair<Status, const char*>, 10> kStatuses{{
    {Status::kNotConfigured, "not_configured"},
    {Status::kPending, "pending"},
    {Status::kSending, "sending"},
    {Status::kQueued, "queued"},
    {Status::kSent, "sent"},
    {Status::kDelivered, "delivered"},
    {Status::kRead, "read"},
    {Status::kFailed, "failed"},
    {Status::kUndelivered, "undelivered"},
    {Status::kExpired, "expired"},
}};

// Progress rank of the states a message passes through on its way to the phone.
int rank(Status s) {
  switch (s) {
    case Status::kNotConfigured:
      return 0;
    case Status::kPending:
      return 1;
    case Status::kSending:
      return 2;
    case Status::kQueued:
      return 3;
    case Status::kSent:
      return 4;
    case Status::kDelivered:
      return 5;
    case Status::kRead:
      return 6;
    default:
      return 7;  // failed, undelivered, expired
  }
}

}  // namespace

const char* recipient_code(Recipient r) { return r == Recipient::kPatient ? "patient" : "doctor"; }

std::optional<Recipient> parse_recipient(const std::string& s) {
  if (s == "patient") return Recipient::kPatient;
  if (s == "doctor") return Recipient::kDoctor;
  return std::nullopt;
}

const char* status_code(Status s) {
  for (const auto& [st, code] : kStatuses) {
    if (st == s) return code;
  }
  return "unknown";
}

std::optional<Status> parse_status(const std::string& s) {
  for (const auto& [st, code] : kStatuses) {
    if (s == code) return st;
  }
  return std::nullopt;
}

bool is_final(Status s) {
  return s == Status::kRead || s == Status::kFailed || s == Status::kUndelivered ||
         s == Status::kExpired;
}

bool advances(Status from, Status to) {
  if (from == to || is_final(from)) return false;
  // Delivered may still become read; failure states end any non-final state.
  return rank(to) > rank(from);
}

}  // namespace skinscan::notify
