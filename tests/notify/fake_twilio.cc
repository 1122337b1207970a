#include "fake_twilio.h"

#include <openssl/evp.h>

#include <cstdio>
#include <regex>

#include <nlohmann/json.hpp>

namespace skinscan::notify::testing {
namespace {

std::string base64(const std::string& s) {
  std::string out(4 * ((s.size() + 2) / 3) + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

void json_error(httplib::Response& res, int http, int code, const std::string& message) {
  res.status = http;
  const nlohmann::json j{
      {"code", code},
      {"message", message},
      {"more_info", "https://www.twilio.com/docs/errors/" + std::to_string(code)},
      {"status", http}};
  res.set_content(j.dump(), "application/json");
}

}  // namespace

FakeTwilio::FakeTwilio(std::string account_sid, std::string auth_token, std::string from)
    : sid_(std::move(account_sid)), token_(std::move(auth_token)), from_(std::move(from)) {
  server_.Post(".*",
               [this](const httplib::Request& req, httplib::Response& res) { handle(req, res); });
  port_ = server_.bind_to_any_port("127.0.0.1");
  if (port_ <= 0) throw std::runtime_error("fake Twilio: cannot bind 127.0.0.1");
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  // stop() is a no-op before the accept loop runs, so wait for it (bounded, safety net).
  for (int i = 0; i < 5000 && !server_.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

FakeTwilio::~FakeTwilio() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  server_.stop();
  thread_.join();
}

std::string FakeTwilio::base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

void FakeTwilio::set_mode(FakeMode mode) {
  std::lock_guard lock(mu_);
  mode_ = mode;
}

void FakeTwilio::script(std::vector<FakeMode> next) {
  std::lock_guard lock(mu_);
  script_.assign(next.begin(), next.end());
}

void FakeTwilio::expect_status_callback(std::string url) {
  std::lock_guard lock(mu_);
  callback_ = std::move(url);
}

void FakeTwilio::release_hangs() {
  {
    std::lock_guard lock(mu_);
    released_ = true;
  }
  cv_.notify_all();
}

std::vector<FakeRequest> FakeTwilio::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

std::vector<std::string> FakeTwilio::violations() const {
  std::lock_guard lock(mu_);
  return violations_;
}

std::map<std::string, int> FakeTwilio::accepted_per_message() const {
  std::lock_guard lock(mu_);
  std::map<std::string, int> out;
  for (const auto& r : requests_) {
    if (r.answered != 201) continue;
    const auto body = r.form.count("Body") ? r.form.at("Body") : r.form.at("ContentVariables");
    ++out[r.form.at("To") + "\n" + body];
  }
  return out;
}

int FakeTwilio::accepted() const {
  std::lock_guard lock(mu_);
  int n = 0;
  for (const auto& r : requests_) n += r.answered == 201;
  return n;
}

bool FakeTwilio::wait_for_requests(std::size_t n, std::chrono::seconds limit) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, limit, [&] { return requests_.size() >= n; });
}

void FakeTwilio::violation(httplib::Response& res, int http, int code, const std::string& msg) {
  violations_.push_back(msg);
  json_error(res, http, code, msg);
}

void FakeTwilio::handle(const httplib::Request& req, httplib::Response& res) {
  if (delay.count() > 0) std::this_thread::sleep_for(delay);
  std::unique_lock lock(mu_);
  FakeRequest rec;
  rec.path = req.path;
  rec.authorization = req.get_header_value("Authorization");
  rec.content_type = req.get_header_value("Content-Type");
  std::set<std::string> seen;
  bool repeated = false;
  for (const auto& [k, v] : req.params) {
    repeated |= !seen.insert(k).second;
    rec.form[k] = v;
  }
  requests_.push_back(rec);
  const std::size_t index = requests_.size() - 1;
  cv_.notify_all();
  auto answer = [&](int status) { requests_[index].answered = status; };

  if (req.path != "/2010-04-01/Accounts/" + sid_ + "/Messages.json") {
    violation(res, 404, 20404, "unexpected path " + req.path);
    return answer(404);
  }
  if (rec.authorization != "Basic " + base64(sid_ + ":" + token_)) {
    json_error(res, 401, 20003, "Authenticate");  // real Twilio: not a test violation
    return answer(401);
  }
  if (rec.content_type.rfind("application/x-www-form-urlencoded", 0) != 0) {
    violation(res, 400, 21000, "content type " + rec.content_type);
    return answer(400);
  }
  static const std::set<std::string> allowed{
      "To", "From", "Body", "ContentSid", "ContentVariables", "StatusCallback"};
  for (const auto& [k, v] : rec.form) {
    if (!allowed.count(k)) {
      violation(res, 400, 21000, "unexpected field " + k);
      return answer(400);
    }
  }
  if (repeated) {
    violation(res, 400, 21000, "repeated field");
    return answer(400);
  }
  static const std::regex e164("whatsapp:\\+[1-9][0-9]{6,14}");
  if (!rec.form.count("To") || !std::regex_match(rec.form["To"], e164)) {
    violation(res, 400, 21211, "Invalid 'To' Phone Number");
    return answer(400);
  }
  if (rec.form["From"] != from_) {
    violation(res, 400, 21212, "Invalid 'From' Phone Number");
    return answer(400);
  }
  const bool body = rec.form.count("Body") > 0;
  const bool content = rec.form.count("ContentSid") > 0;
  if (body == content || (body && rec.form["Body"].empty()) ||
      (content != (rec.form.count("ContentVariables") > 0))) {
    violation(res, 400, 21619, "need Body xor ContentSid+ContentVariables");
    return answer(400);
  }
  if (content) {
    const auto j = nlohmann::json::parse(rec.form["ContentVariables"], nullptr, false);
    if (!j.is_object()) {
      violation(res, 400, 21656, "ContentVariables is not a JSON object");
      return answer(400);
    }
  }
  if (callback_ &&
      (!rec.form.count("StatusCallback") || rec.form["StatusCallback"] != *callback_)) {
    violation(res, 400, 21609, "StatusCallback missing or wrong");
    return answer(400);
  }
  if (!callback_ && rec.form.count("StatusCallback")) {
    violation(res, 400, 21609, "unexpected StatusCallback");
    return answer(400);
  }

  FakeMode mode = mode_;
  if (!script_.empty()) {
    mode = script_.front();
    script_.pop_front();
  }
  switch (mode) {
    case FakeMode::kHang:
      // Safety net only: a hang ends when released, when the fake stops, or after 60 s.
      cv_.wait_for(lock, std::chrono::seconds(60), [&] { return released_ || stopping_; });
      json_error(res, 503, 20503, "Service Unavailable");
      return answer(503);
    case FakeMode::kUnavailable:
      json_error(res, 503, 20503, "Service Unavailable");
      return answer(503);
    case FakeMode::kRateLimited:
      res.set_header("Retry-After", std::to_string(retry_after_seconds));
      json_error(res, 429, 20429, "Too Many Requests");
      return answer(429);
    case FakeMode::kInvalidTo:
      json_error(res, 400, 21211,
                 "The 'To' number " + rec.form["To"] + " is not a valid phone number.");
      return answer(400);
    case FakeMode::kEchoCredentials:
      json_error(res, 400, 21000, "Bad request with credentials " + sid_ + ":" + token_);
      return answer(400);
    case FakeMode::kAccept:
      break;
  }
  char sid[40];
  std::snprintf(sid, sizeof sid, "SM%032x", ++counter_);
  requests_[index].sid = sid;
  const nlohmann::json j{{"sid", sid},
                         {"status", "queued"},
                         {"to", rec.form["To"]},
                         {"from", rec.form["From"]},
                         {"account_sid", sid_},
                         {"error_code", nullptr},
                         {"error_message", nullptr}};
  res.status = 201;
  res.set_content(j.dump(), "application/json");
  answer(201);
}

}  // namespace skinscan::notify::testing
