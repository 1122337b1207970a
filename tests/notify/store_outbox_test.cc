// The sender and the status callback on the real SQLite store (store::Store as the Outbox):
// both recipients delivered with the report the store builds, callbacks advance rows forward
// only, permanent errors recorded, operator resend, not_configured activation.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "eventually.h"
#include "fake_twilio.h"
#include "notify/sender.h"
#include "notify/status_callback.h"
#include "store/sqlite_store.h"
#include "support/paths.h"

namespace skinscan::notify {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using testing::FakeMode;
using testing::FakeTwilio;

const std::string kSid = "AC22222222222222222222222222222222";
const std::string kToken = "store-test-token-a1b2c3d4e5";
const std::string kFrom = "whatsapp:+14155238886";

store::NewScreening screening() {
  store::NewScreening s;
  s.patient_name = "Ngozi 🌍 Adeyemi";
  s.patient_phone = "+447700900123";
  s.doctor_name = "Dr. Müller";
  s.doctor_phone = "+4915123456789";
  s.image_sha256 = std::string(64, 'b');
  s.image_format = "jpeg";
  s.image_width = 600;
  s.image_height = 450;
  s.label = "mel";
  s.decision = "diagnosis";
  s.finding = "Melanoma";
  s.confidence = 0.93;
  s.malignancy_risk = 0.8;
  s.refer = true;
  s.result_json = "{}";
  s.model_version = "resnet-s-9";
  return s;
}

class StoreOutbox : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_.expect_status_callback("https://clinic.example.org/twilio/status");
  }
  TwilioConfig config() const {
    TwilioConfig c;
    c.account_sid = kSid;
    c.auth_token = kToken;
    c.whatsapp_from = kFrom;
    c.api_base = fake_.base_url();
    c.public_base_url = "https://clinic.example.org";
    return c;
  }
  SenderOptions fast() const {
    SenderOptions o;
    o.initial_backoff = 20ms;
    o.max_backoff = 100ms;
    o.idle_poll = 50ms;
    return o;
  }
  std::vector<store::NotificationRow> rows(std::int64_t id) {
    return store_.get_screening(id)->notifications;
  }
  bool all(std::int64_t id, Status s) {
    for (const auto& n : rows(id)) {
      if (n.status != s) return false;
    }
    return true;
  }

  skinscan::testing::TempDir dir_{"notify_store"};
  store::SqliteStore store_{(dir_ / "skinscan.db").string()};
  FakeTwilio fake_{kSid, kToken, kFrom};
};

TEST_F(StoreOutbox, DeliversBothReportsAndAppliesCallbacks) {
  const auto s = store_.create_screening(screening(), Status::kPending);
  Sender sender(store_, config(), fast());
  sender.start();
  sender.wake();
  ASSERT_TRUE(eventually([&] { return all(s.id, Status::kQueued); }));
  sender.stop();

  EXPECT_TRUE(fake_.violations().empty());
  const auto reqs = fake_.requests();
  ASSERT_EQ(reqs.size(), 2u);
  std::set<std::string> to;
  for (const auto& r : reqs) {
    to.insert(r.form.at("To"));
    const std::string& body = r.form.at("Body");
    for (const std::string& part : std::vector<std::string>{
             "Patient: Ngozi 🌍 Adeyemi", "Doctor: Dr. Müller", "Result: Melanoma",
             "Confidence: 93%", "dermatologist", "Model: resnet-s-9", "Reference: " + s.reference,
             "Screening aid, not a diagnosis. Please consult your doctor."}) {
      EXPECT_NE(body.find(part), std::string::npos) << part << "\n" << body;
    }
  }
  EXPECT_EQ(to, (std::set<std::string>{"whatsapp:+447700900123", "whatsapp:+4915123456789"}));

  // Status callbacks, signed like Twilio signs them.
  const auto cfg = config();
  const std::string sid = rows(s.id)[0].twilio_sid;
  auto callback = [&](const std::string& status, const std::string& signature = "") {
    const FormParams p{{"MessageSid", sid}, {"MessageStatus", status}, {"AccountSid", kSid}};
    return handle_status_callback(
        store_, cfg, cfg.status_callback_url(), p,
        signature.empty() ? twilio_signature(kToken, cfg.status_callback_url(), p) : signature);
  };
  EXPECT_EQ(callback("delivered"), 204);
  EXPECT_EQ(rows(s.id)[0].status, Status::kDelivered);
  EXPECT_EQ(callback("sent"), 204);  // late and out of order: ignored
  EXPECT_EQ(rows(s.id)[0].status, Status::kDelivered);
  EXPECT_EQ(callback("read", "bm90IGEgc2lnbmF0dXJlIGF0IGFsbA=="), 403);
  EXPECT_EQ(rows(s.id)[0].status, Status::kDelivered);
  EXPECT_EQ(callback("read"), 204);
  EXPECT_EQ(rows(s.id)[0].status, Status::kRead);
}

TEST_F(StoreOutbox, PermanentErrorThenOperatorResend) {
  fake_.set_mode(FakeMode::kInvalidTo);
  const auto s = store_.create_screening(screening(), Status::kPending);
  {
    Sender sender(store_, config(), fast());
    sender.start();
    ASSERT_TRUE(eventually([&] { return all(s.id, Status::kFailed); }));
  }
  for (const auto& n : rows(s.id)) {
    EXPECT_EQ(n.error_code, "21211");
    EXPECT_NE(n.error_message.find("not a valid phone number"), std::string::npos);
  }
  EXPECT_EQ(store_.list_notifications(Status::kFailed).size(), 2u);

  fake_.set_mode(FakeMode::kAccept);
  EXPECT_EQ(store_.requeue_screening(s.id), 2);
  EXPECT_EQ(store_.requeue_screening(999999), 0);
  Sender sender(store_, config(), fast());
  sender.start();
  ASSERT_TRUE(eventually([&] { return all(s.id, Status::kQueued); }));
  EXPECT_EQ(fake_.accepted(), 2);
}

TEST_F(StoreOutbox, NotConfiguredRowsAreSentAfterCredentialsAppear) {
  const auto s = store_.create_screening(screening(), Status::kNotConfigured);
  {
    Sender idle(store_, TwilioConfig{}, fast());
    idle.start();
  }
  EXPECT_TRUE(all(s.id, Status::kNotConfigured));
  Sender sender(store_, config(), fast());
  sender.start();
  ASSERT_TRUE(eventually([&] { return all(s.id, Status::kQueued); }));
  EXPECT_EQ(fake_.accepted(), 2);
}

}  // namespace
}  // namespace skinscan::notify
