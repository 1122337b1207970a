// A Twilio-compatible fake of POST /2010-04-01/Accounts/{sid}/Messages.json on 127.0.0.1 (a
// free port), for tests only. It checks what real Twilio checks -- the path, HTTP Basic
// credentials (401/20003 otherwise), the form encoding and every field (To is
// whatsapp:+E.164, From is the configured sender, Body xor ContentSid+ContentVariables,
// StatusCallback when expected, no other or repeated fields) -- records each request, and
// answers with Twilio's response shapes according to its mode: 201 with a fresh SM sid, 503,
// 429 with Retry-After, 400 with code 21211, or a hang until released or stopped.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include "notify/signature.h"

namespace skinscan::notify::testing {

// kEchoCredentials: a 400 whose message repeats the credentials, as a misbehaving proxy
// might; the sender must not record or log the token from it.
enum class FakeMode { kAccept, kUnavailable, kRateLimited, kInvalidTo, kHang, kEchoCredentials };

struct FakeRequest {
  std::string path, authorization, content_type;
  std::map<std::string, std::string> form;  // each field once (repeats are violations)
  int answered = 0;                         // HTTP status answered, 0 while hanging
  std::string sid;                          // for 201 answers
};

class FakeTwilio {
 public:
  FakeTwilio(std::string account_sid, std::string auth_token, std::string from);
  ~FakeTwilio();  // releases hangs, stops the server, joins
  FakeTwilio(const FakeTwilio&) = delete;
  FakeTwilio& operator=(const FakeTwilio&) = delete;

  std::string base_url() const;  // "http://127.0.0.1:<port>"

  void set_mode(FakeMode mode);                  // for every following request
  void script(std::vector<FakeMode> next);       // the next requests, then the mode
  void expect_status_callback(std::string url);  // StatusCallback must equal it
  void release_hangs();
  int retry_after_seconds = 1;
  // Each request waits this long before it is looked at (a slow Twilio), so a test can kill
  // a sender while requests are in flight. Set before requests arrive.
  std::chrono::milliseconds delay{0};

  std::vector<FakeRequest> requests() const;
  std::vector<std::string> violations() const;
  // Number of 201 answers per message key (To + Body or ContentVariables).
  std::map<std::string, int> accepted_per_message() const;
  int accepted() const;
  // Waits (safety net `limit`) until at least n requests arrived.
  bool wait_for_requests(std::size_t n, std::chrono::seconds limit = std::chrono::seconds(60));

 private:
  void handle(const httplib::Request& req, httplib::Response& res);
  void violation(httplib::Response& res, int http, int code, const std::string& msg);

  std::string sid_, token_, from_;
  std::optional<std::string> callback_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  FakeMode mode_ = FakeMode::kAccept;
  std::deque<FakeMode> script_;
  bool released_ = false, stopping_ = false;
  std::vector<FakeRequest> requests_;
  std::vector<std::string> violations_;
  int counter_ = 0;
};

}  // namespace skinscan::notify::testing
