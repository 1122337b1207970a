// X-Twilio-Signature: Twilio's documented worked example as a fixed vector, and the status
// callback endpoint's answers (403 bad signature, 400 malformed, forward-only updates).
#include "notify/signature.h"

#include <gtest/gtest.h>

#include "memory_outbox.h"
#include "notify/status_callback.h"

namespace skinscan::notify {
namespace {

const std::string kDocUrl = "https://mycompany.com/myapp.php?foo=1&bar=2";

FormParams doc_params(const std::string& caller) {
  return {{"Digits", "1234"},
          {"To", "+18005551212"},
          {"From", caller},
          {"Caller", caller},
          {"CallSid", "CA1234567890ABCDE"}};
}

// The worked example of Twilio's webhook security page (token 12345, the URL above, the five
// voice parameters). Current docs use +12349013030; older editions of the page (and Twilio's
// SDK test suites) used +14158675310 and +14158675309. All three expected values were
// checked against `openssl dgst -sha1 -hmac 12345 | base64` as well.
TEST(Signature, TwilioDocumentationVectors) {
  EXPECT_EQ(twilio_signature("12345", kDocUrl, doc_params("+12349013030")),
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
  EXPECT_EQ(twilio_signature("12345", kDocUrl, doc_params("+14158675310")),
            "GvWf1cFY/Q7PnoempGyD5oXAezc=");
  EXPECT_EQ(twilio_signature("12345", kDocUrl, doc_params("+14158675309")),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
  EXPECT_TRUE(verify_twilio_signature("12345", kDocUrl, doc_params("+12349013030"),
                                      "0/KCTR6DLpKmkAf8muzZqo1nDgQ="));
}

TEST(Signature, RejectsAnythingElse) {
  const auto p = doc_params("+12349013030");
  const std::string good = "0/KCTR6DLpKmkAf8muzZqo1nDgQ=";
  EXPECT_FALSE(verify_twilio_signature("12346", kDocUrl, p, good));
  EXPECT_FALSE(verify_twilio_signature("12345", kDocUrl + "&x=1", p, good));
  EXPECT_FALSE(
      verify_twilio_signature("12345", "http://mycompany.com/myapp.php?foo=1&bar=2", p, good));
  auto tampered = p;
  tampered[0].second = "9999";
  EXPECT_FALSE(verify_twilio_signature("12345", kDocUrl, tampered, good));
  auto extra = p;
  extra.emplace_back("Body", "hi");
  EXPECT_FALSE(verify_twilio_signature("12345", kDocUrl, extra, good));
  EXPECT_FALSE(verify_twilio_signature("12345", kDocUrl, p, ""));
  EXPECT_FALSE(verify_twilio_signature("12345", kDocUrl, p, good.substr(0, 27)));
  EXPECT_FALSE(verify_twilio_signature("12345", kDocUrl, p, "1/KCTR6DLpKmkAf8muzZqo1nDgQ="));
  EXPECT_FALSE(verify_twilio_signature("", kDocUrl, p, twilio_signature("", kDocUrl, p)));
}

TEST(Signature, RepeatedNamesSortByValue) {
  const FormParams a{{"b", "2"}, {"a", "z"}, {"a", "y"}};
  const FormParams b{{"a", "y"}, {"a", "z"}, {"b", "2"}};
  EXPECT_EQ(twilio_signature("k", "u", a), twilio_signature("k", "u", b));
}

class StatusCallback : public ::testing::Test {
 protected:
  void SetUp() override {
    cfg_.account_sid = "AC00000000000000000000000000000001";
    cfg_.auth_token = "callback-token-0123456789";
    cfg_.whatsapp_from = "whatsapp:+14155238886";
    cfg_.public_base_url = "https://clinic.example.org/";
    Report r;
    r.reference = "SS-000001";
    outbox_.add_screening(r, "+14155550100", "+14155550101");
    outbox_.claim_due(Clock::now(), 10, std::chrono::minutes(1));
    outbox_.mark_accepted(1, "SM00000000000000000000000000000001", Status::kQueued);
    outbox_.mark_accepted(2, "SM00000000000000000000000000000002", Status::kQueued);
  }

  int post(const FormParams& p, const std::string* signature = nullptr) {
    const std::string url = cfg_.status_callback_url();
    return handle_status_callback(
        outbox_, cfg_, url, p, signature ? *signature : twilio_signature(cfg_.auth_token, url, p));
  }

  static FormParams params(const std::string& sid, const std::string& status) {
    return {{"MessageSid", sid},
            {"MessageStatus", status},
            {"AccountSid", "AC00000000000000000000000000000001"},
            {"ApiVersion", "2010-04-01"},
            {"ChannelPrefix", "whatsapp"}};
  }

  TwilioConfig cfg_;
  testing::MemoryOutbox outbox_;
};

TEST_F(StatusCallback, UsesThePublicUrl) {
  EXPECT_EQ(cfg_.status_callback_url(), "https://clinic.example.org/twilio/status");
}

TEST_F(StatusCallback, ValidSignatureAdvancesTheRow) {
  EXPECT_EQ(post(params("SM00000000000000000000000000000001", "sent")), 204);
  EXPECT_EQ(outbox_.row(1).status, Status::kSent);
  EXPECT_EQ(post(params("SM00000000000000000000000000000001", "delivered")), 204);
  EXPECT_EQ(outbox_.row(1).status, Status::kDelivered);
  EXPECT_EQ(post(params("SM00000000000000000000000000000001", "read")), 204);
  EXPECT_EQ(outbox_.row(1).status, Status::kRead);
}

TEST_F(StatusCallback, NeverMovesBackwards) {
  EXPECT_EQ(post(params("SM00000000000000000000000000000001", "delivered")), 204);
  // Late, out-of-order callbacks are acknowledged and ignored.
  EXPECT_EQ(post(params("SM00000000000000000000000000000001", "sent")), 204);
  EXPECT_EQ(post(params("SM00000000000000000000000000000001", "queued")), 204);
  EXPECT_EQ(post(params("SM00000000000000000000000000000001", "sending")), 204);
  EXPECT_EQ(outbox_.row(1).status, Status::kDelivered);
  EXPECT_EQ(post(params("SM00000000000000000000000000000001", "read")), 204);
  EXPECT_EQ(post(params("SM00000000000000000000000000000001", "failed")), 204);
  EXPECT_EQ(outbox_.row(1).status, Status::kRead);  // final
}

TEST_F(StatusCallback, UndeliveredRecordsTheErrorCode) {
  auto p = params("SM00000000000000000000000000000002", "undelivered");
  p.emplace_back("ErrorCode", "63024");
  EXPECT_EQ(post(p), 204);
  const auto row = outbox_.row(2);
  EXPECT_EQ(row.status, Status::kUndelivered);
  EXPECT_EQ(row.error_code, "63024");
  EXPECT_NE(row.error_message.find("63024"), std::string::npos);
}

TEST_F(StatusCallback, BadSignaturesAre403AndChangeNothing) {
  const auto p = params("SM00000000000000000000000000000001", "delivered");
  const std::string wrong_token = twilio_signature("not-the-token", cfg_.status_callback_url(), p);
  const std::string empty;
  const std::string garbage = "AAAAAAAAAAAAAAAAAAAAAAAAAAA=";
  EXPECT_EQ(post(p, &wrong_token), 403);
  EXPECT_EQ(post(p, &empty), 403);
  EXPECT_EQ(post(p, &garbage), 403);
  // Signed for other parameters (a replay with a changed status).
  const std::string other = twilio_signature(cfg_.auth_token, cfg_.status_callback_url(),
                                             params("SM00000000000000000000000000000001", "sent"));
  EXPECT_EQ(post(p, &other), 403);
  // Signed for another URL.
  const std::string other_url = twilio_signature(cfg_.auth_token, "https://evil.example/x", p);
  EXPECT_EQ(post(p, &other_url), 403);
  EXPECT_EQ(outbox_.row(1).status, Status::kQueued);
}

TEST_F(StatusCallback, UnconfiguredTwilioRejectsEverything) {
  const auto p = params("SM00000000000000000000000000000001", "delivered");
  const std::string sig = twilio_signature(cfg_.auth_token, cfg_.status_callback_url(), p);
  TwilioConfig none;
  EXPECT_EQ(handle_status_callback(outbox_, none, cfg_.status_callback_url(), p, sig), 403);
  EXPECT_EQ(outbox_.row(1).status, Status::kQueued);
}

TEST_F(StatusCallback, MalformedIs400UnknownSidIs204) {
  EXPECT_EQ(post({{"MessageSid", "SM00000000000000000000000000000001"}}), 400);
  EXPECT_EQ(post({{"MessageStatus", "delivered"}}), 400);
  EXPECT_EQ(post(params("SM<script>", "delivered")), 400);
  EXPECT_EQ(post(params("SM99999999999999999999999999999999", "delivered")), 204);
  EXPECT_EQ(post(params("SM00000000000000000000000000000001", "receiving")), 204);
  EXPECT_EQ(outbox_.row(1).status, Status::kQueued);
}

}  // namespace
}  // namespace skinscan::notify
