// The sender against the Twilio fake on 127.0.0.1: exact form fields to both recipients
// (free-form and template), retries with backoff and Retry-After, timeouts, permanent
// failures with Twilio's code, deadline exhaustion, secrets kept out of errors and logs,
// not_configured rows, in-flight rows reclaimed when their lease ends.
#include "notify/sender.h"
#include "data/error.h"

#include <gtest/gtest.h>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <memory>
#include <vector>

#include <cstdlib>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "eventually.h"
#include "fake_twilio.h"
#include "memory_outbox.h"
#include "notify/message.h"
#include "notify/twilio_client.h"

namespace skinscan::notify {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using testing::FakeMode;
using testing::FakeTwilio;
using testing::MemoryOutbox;

const std::string kSid = "AC0123456789abcdef0123456789abcdef";
const std::string kToken = "tok-SECRET-9f8e7d6c5b4a39281706";
const std::string kFrom = "whatsapp:+14155238886";

Report report(const std::string& ref = "SS-000007") {
  Report r;
  r.reference = ref;
  r.patient_name = "Zoë 👩🏽‍⚕️ Okafor";
  r.doctor_name = "Dr. Ōta";
  r.finding = "Basal cell carcinoma";
  r.decision = "diagnosis";
  r.confidence = 0.87;
  r.refer = true;
  r.date = "2026-11-26";
  r.model_version = "resnet-s-1";
  return r;
}

SenderOptions fast() {
  SenderOptions o;
  o.initial_backoff = 20ms;
  o.max_backoff = 100ms;
  o.request_timeout = 5s;
  o.idle_poll = 50ms;
  return o;
}

class SenderTest : public ::testing::Test {
 protected:
  TwilioConfig config(const std::string& token = kToken) const {
    TwilioConfig c;
    c.account_sid = kSid;
    c.auth_token = token;
    c.whatsapp_from = kFrom;
    c.api_base = fake_.base_url();
    return c;
  }
  bool run(Sender& s) {
    s.start();
    const bool ok = eventually([&] { return outbox_.settled(); });
    s.stop();
    return ok;
  }
  FakeTwilio fake_{kSid, kToken, kFrom};
  MemoryOutbox outbox_;
};

TEST_F(SenderTest, FreeFormToBothRecipientsWithExactFields) {
  auto cfg = config();
  cfg.public_base_url = "https://clinic.example.org";
  fake_.expect_status_callback("https://clinic.example.org/twilio/status");
  outbox_.add_screening(report(), "+14155550100", "+447700900123");
  Sender sender(outbox_, cfg, fast());
  ASSERT_TRUE(run(sender));

  EXPECT_TRUE(fake_.violations().empty()) << fake_.violations().front();
  const auto reqs = fake_.requests();
  ASSERT_EQ(reqs.size(), 2u);
  const std::string body = compose_message(report());
  const std::map<std::string, std::string> patient{
      {"To", "whatsapp:+14155550100"},
      {"From", kFrom},
      {"Body", body},
      {"StatusCallback", "https://clinic.example.org/twilio/status"}};
  auto doctor = patient;
  doctor["To"] = "whatsapp:+447700900123";
  EXPECT_EQ(reqs[0].form, patient);
  EXPECT_EQ(reqs[1].form, doctor);
  EXPECT_EQ(reqs[0].path, "/2010-04-01/Accounts/" + kSid + "/Messages.json");
  for (const auto& row : outbox_.rows()) {
    EXPECT_EQ(row.status, Status::kQueued);
    EXPECT_EQ(row.msg.attempts, 1);
  }
  EXPECT_EQ(outbox_.row(1).sid, reqs[0].sid);
  EXPECT_EQ(outbox_.row(2).sid, reqs[1].sid);
}

TEST_F(SenderTest, TemplateModeSendsContentSidAndVariables) {
  auto cfg = config();
  cfg.content_sid = "HX0123456789abcdef0123456789abcdef";
  outbox_.add_screening(report(), "+14155550100", "+14155550101");
  Sender sender(outbox_, cfg, fast());
  ASSERT_TRUE(run(sender));

  EXPECT_TRUE(fake_.violations().empty());
  const auto reqs = fake_.requests();
  ASSERT_EQ(reqs.size(), 2u);
  const std::map<std::string, std::string> expected{
      {"To", "whatsapp:+14155550100"},
      {"From", kFrom},
      {"ContentSid", "HX0123456789abcdef0123456789abcdef"},
      {"ContentVariables", content_variables(report())}};
  EXPECT_EQ(reqs[0].form, expected);
  const auto vars = nlohmann::json::parse(reqs[1].form.at("ContentVariables"));
  EXPECT_EQ(vars["patient"], "Zoë 👩🏽‍⚕️ Okafor");
  EXPECT_EQ(vars["confidence"], "87%");
  EXPECT_EQ(vars["reference"], "SS-000007");
  EXPECT_EQ(outbox_.row(2).status, Status::kQueued);
}

TEST_F(SenderTest, RetriesUnavailableAndRateLimitedThenSucceeds) {
  fake_.retry_after_seconds = 1;
  fake_.script({FakeMode::kUnavailable, FakeMode::kRateLimited});
  outbox_.add_screening(report(), "+14155550100", "+14155550101");
  auto opt = fast();
  Sender sender(outbox_, config(), opt);
  ASSERT_TRUE(run(sender));

  EXPECT_TRUE(fake_.violations().empty());
  const auto retries = outbox_.retries();
  ASSERT_EQ(retries.size(), 2u);
  EXPECT_NE(retries[0].reason.find("Twilio 503"), std::string::npos) << retries[0].reason;
  EXPECT_NE(retries[1].reason.find("Twilio 429"), std::string::npos) << retries[1].reason;
  EXPECT_LE(retries[0].next - retries[0].at, 200ms) << "backoff is the small configured one";
  EXPECT_GE(retries[1].next - retries[1].at, 1s - 10ms) << "Retry-After: 1 honoured";
  int attempts = 0;
  for (const auto& row : outbox_.rows()) {
    EXPECT_EQ(row.status, Status::kQueued);
    attempts += row.msg.attempts;
  }
  EXPECT_EQ(attempts, 4);
  EXPECT_EQ(fake_.requests().size(), 4u);
  for (const auto& [key, n] : fake_.accepted_per_message()) EXPECT_EQ(n, 1) << key;
  EXPECT_EQ(fake_.accepted(), 2);
}

TEST_F(SenderTest, TimeoutIsRetried) {
  fake_.script({FakeMode::kHang});
  outbox_.add_screening(report(), "+14155550100", "+14155550101");
  auto opt = fast();
  opt.request_timeout = 1s;
  Sender sender(outbox_, config(), opt);
  ASSERT_TRUE(run(sender));
  const auto retries = outbox_.retries();
  ASSERT_EQ(retries.size(), 1u);
  EXPECT_NE(retries[0].reason.find("imeout"), std::string::npos) << retries[0].reason;
  EXPECT_EQ(outbox_.row(1).status, Status::kQueued);
  EXPECT_EQ(outbox_.row(2).status, Status::kQueued);
}

TEST_F(SenderTest, PermanentErrorFailsAtOnceWithTwilioCode) {
  fake_.set_mode(FakeMode::kInvalidTo);
  outbox_.add_screening(report(), "+14155550100", "+14155550101");
  Sender sender(outbox_, config(), fast());
  ASSERT_TRUE(run(sender));
  EXPECT_EQ(fake_.requests().size(), 2u) << "no retry of a permanent error";
  for (const auto& row : outbox_.rows()) {
    EXPECT_EQ(row.status, Status::kFailed);
    EXPECT_EQ(row.error_code, "21211");
    EXPECT_NE(row.error_message.find("is not a valid phone number"), std::string::npos);
    EXPECT_NE(row.error_message.find("https://www.twilio.com/docs/errors/21211"),
              std::string::npos);
  }
  EXPECT_TRUE(outbox_.retries().empty());
}

TEST_F(SenderTest, DeadlineExhaustionFailsWithTheLastReason) {
  fake_.set_mode(FakeMode::kUnavailable);
  outbox_.add_screening(report(), "+14155550100", "+14155550101");
  auto opt = fast();
  opt.deadline = 1s;
  Sender sender(outbox_, config(), opt);
  ASSERT_TRUE(run(sender));
  for (const auto& row : outbox_.rows()) {
    EXPECT_EQ(row.status, Status::kFailed);
    EXPECT_EQ(row.error_code, "deadline");
    EXPECT_NE(row.error_message.find("Twilio 503"), std::string::npos) << row.error_message;
    EXPECT_GT(row.msg.attempts, 1);
  }
  EXPECT_EQ(fake_.accepted(), 0);
}

TEST_F(SenderTest, SecretsNeverInErrorsOrLogs) {
  std::ostringstream log;
  auto previous = spdlog::default_logger();
  auto capture = std::make_shared<spdlog::logger>(
      "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(log));
  capture->set_level(spdlog::level::trace);
  spdlog::set_default_logger(capture);

  // 1. Wrong credentials: Twilio's 401/20003, failed at once.
  outbox_.add_screening(report("SS-000001"), "+14155550100", "+14155550101");
  {
    Sender sender(outbox_, config("wrong-" + kToken), fast());
    ASSERT_TRUE(run(sender));
  }
  // 2. Nothing listening: network errors until the deadline.
  MemoryOutbox unreachable;
  unreachable.add_screening(report("SS-000002"), "+14155550100", "+14155550101");
  std::string closed;
  {
    FakeTwilio gone(kSid, kToken, kFrom);
    closed = gone.base_url();
  }
  auto cfg = config();
  cfg.api_base = closed;
  auto opt = fast();
  opt.deadline = 1s;
  {
    Sender sender(unreachable, cfg, opt);
    sender.start();
    ASSERT_TRUE(eventually([&] { return unreachable.settled(); }));
  }
  // 3. An error answer that repeats the credentials.
  MemoryOutbox echoed;
  echoed.add_screening(report("SS-000003"), "+14155550100", "+14155550101");
  fake_.set_mode(FakeMode::kEchoCredentials);
  {
    Sender sender(echoed, config(), fast());
    sender.start();
    ASSERT_TRUE(eventually([&] { return echoed.settled(); }));
  }
  spdlog::set_default_logger(previous);

  for (const auto& row : echoed.rows()) {
    EXPECT_EQ(row.status, Status::kFailed);
    EXPECT_NE(row.error_message.find("credentials " + kSid + ":[redacted]"), std::string::npos)
        << row.error_message;
  }

  for (const auto& row : outbox_.rows()) {
    EXPECT_EQ(row.status, Status::kFailed);
    EXPECT_EQ(row.error_code, "20003");
  }
  for (const auto& row : unreachable.rows()) {
    EXPECT_EQ(row.status, Status::kFailed);
    EXPECT_EQ(row.error_code, "deadline");
  }
  EXPECT_EQ(log.str().find("+14155550100"), std::string::npos) << "numbers stay out of logs";
  EXPECT_NE(log.str().find("message 1"), std::string::npos);
  std::string recorded = log.str();
  for (const auto* o : {&outbox_, &unreachable, &echoed}) {
    for (const auto& row : o->rows()) recorded += row.error_code + row.error_message;
    for (const auto& r : o->retries()) recorded += r.reason;
  }
  EXPECT_FALSE(recorded.empty());
  EXPECT_EQ(recorded.find(kToken), std::string::npos);
  EXPECT_EQ(recorded.find("SECRET"), std::string::npos);
  EXPECT_EQ(recorded.find("Basic "), std::string::npos);
}

TEST_F(SenderTest, NotConfiguredRowsWaitThenSendOnceConfigured) {
  outbox_.add_screening(report(), "+14155550100", "+14155550101", Status::kNotConfigured);
  {
    Sender idle(outbox_, TwilioConfig{}, fast());
    idle.start();  // nothing to do without credentials
    EXPECT_EQ(idle.run_once(), 0);
  }
  for (const auto& row : outbox_.rows()) EXPECT_EQ(row.status, Status::kNotConfigured);
  EXPECT_TRUE(fake_.requests().empty());

  Sender sender(outbox_, config(), fast());  // "credentials added, server restarted"
  sender.start();
  ASSERT_TRUE(eventually([&] { return fake_.accepted() == 2 && outbox_.settled(); }));
  sender.stop();
  for (const auto& row : outbox_.rows()) EXPECT_EQ(row.status, Status::kQueued);
  EXPECT_EQ(fake_.accepted(), 2);
}

TEST_F(SenderTest, NotConfiguredRowsCanExpireInstead) {
  outbox_.add_screening(report(), "+14155550100", "+14155550101", Status::kNotConfigured);
  auto opt = fast();
  opt.expire_unconfigured = true;
  Sender sender(outbox_, config(), opt);
  sender.start();
  ASSERT_TRUE(eventually([&] { return outbox_.row(2).status == Status::kExpired; }));
  sender.stop();
  EXPECT_EQ(outbox_.row(1).status, Status::kExpired);
  EXPECT_TRUE(fake_.requests().empty());
}

TEST_F(SenderTest, InFlightRowsOfACrashedSenderAreReclaimedWhenTheLeaseEnds) {
  outbox_.add_screening(report(), "+14155550100", "+14155550101");
  // A sender claims with a lease that has already ended, then "crashes".
  ASSERT_EQ(outbox_.claim_due(Clock::now(), 10, 0ms).size(), 2u);
  Sender sender(outbox_, config(), fast());
  ASSERT_TRUE(run(sender));
  EXPECT_EQ(outbox_.row(1).status, Status::kQueued);
  EXPECT_EQ(outbox_.row(1).msg.attempts, 2);
  EXPECT_EQ(fake_.accepted(), 2);
}

TEST_F(SenderTest, FourSendersOnOneOutboxSendEachMessageOnce) {
  for (int i = 0; i < 25; ++i) {
    outbox_.add_screening(report(), "+1415555" + std::to_string(1000 + i),
                          "+1415555" + std::to_string(2000 + i));
  }
  fake_.delay = 5ms;  // requests overlap across senders
  {
    std::vector<std::unique_ptr<Sender>> senders;
    for (int i = 0; i < 4; ++i) {
      auto opt = fast();
      opt.batch = 3;
      senders.push_back(std::make_unique<Sender>(outbox_, config(), opt));
    }
    for (auto& s : senders) s->start();
    ASSERT_TRUE(eventually([&] { return outbox_.settled(); }));
  }
  EXPECT_EQ(fake_.accepted(), 50);
  const auto per_message = fake_.accepted_per_message();
  EXPECT_EQ(per_message.size(), 50u);
  for (const auto& [key, n] : per_message) EXPECT_EQ(n, 1) << key;
}

TEST_F(SenderTest, WakeSendsNewRowsWithoutWaitingForThePoll) {
  auto opt = fast();
  opt.idle_poll = 3600s;
  Sender sender(outbox_, config(), opt);
  sender.start();
  outbox_.add_screening(report(), "+14155550100", "+14155550101");
  sender.wake();
  ASSERT_TRUE(eventually([&] { return fake_.accepted() == 2; }));
  sender.stop();
}

TEST(TwilioConfigTest, ApiBaseMustBeHttpsExceptLoopback) {
  EXPECT_NO_THROW(check_api_base("https://api.twilio.com"));
  EXPECT_NO_THROW(check_api_base("http://127.0.0.1:8123"));
  EXPECT_NO_THROW(check_api_base("http://localhost"));
  EXPECT_THROW(check_api_base("http://api.twilio.com"), skinscan::Error);
  EXPECT_THROW(check_api_base("http://127.0.0.1@evil.example"), skinscan::Error);
  EXPECT_THROW(check_api_base("http://127.0.0.1.evil.example"), skinscan::Error);
  EXPECT_THROW(check_api_base("ftp://127.0.0.1"), skinscan::Error);
  EXPECT_THROW(check_api_base("api.twilio.com"), skinscan::Error);
}

TEST(TwilioConfigTest, FromSettings) {
  ::setenv("TWILIO_ACCOUNT_SID", kSid.c_str(), 1);
  ::setenv("TWILIO_AUTH_TOKEN", kToken.c_str(), 1);
  ::setenv("TWILIO_WHATSAPP_FROM", "+14155238886", 1);
  ::setenv("TWILIO_API_BASE", "https://api.twilio.com/", 1);
  auto c = TwilioConfig::from_settings(Settings{});
  EXPECT_TRUE(c.configured());
  EXPECT_EQ(c.from_address(), "whatsapp:+14155238886");
  EXPECT_EQ(c.api_base, "https://api.twilio.com");
  EXPECT_EQ(c.status_callback_url(), "");
  ::setenv("TWILIO_API_BASE", "http://api.twilio.com", 1);
  try {
    (void)TwilioConfig::from_settings(Settings{});
    ADD_FAILURE() << "plain http to a remote host accepted";
  } catch (const skinscan::Error& e) {
    EXPECT_EQ(std::string(e.what()).find(kToken), std::string::npos);
  }
  for (const char* k :
       {"TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_WHATSAPP_FROM", "TWILIO_API_BASE"}) {
    ::unsetenv(k);
  }
  EXPECT_FALSE(TwilioConfig::from_settings(Settings{}).configured());
}

}  // namespace
}  // namespace skinscan::notify
