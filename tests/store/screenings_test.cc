// Screenings: create/get round trip, all-or-nothing writes, listing, search, restart,
// concurrency -- against a real SQLite file and a real PostgreSQL server.
#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <thread>

#include "store/backend.h"
#include "store/sample.h"
#include "store/store.h"
#include "support/paths.h"

namespace skinscan::store {
namespace {

using notify::Recipient;
using notify::Status;
using testing::sample;

class Screenings : public testing::BackendTest {};
SKINSCAN_STORE_BACKENDS(Screenings);

const std::regex kIsoUtc(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)");

// A photo that is not a lesion is kept for audit but nothing is ever sent about it; and a
// referral is never stored as "No disease" (issue 11).
TEST_P(Screenings, NotALesionGetsNoNotificationsAndReferralsAreNeverNoDisease) {
  const auto store_ptr = open();
  Store& store = *store_ptr;
  auto in = sample();
  in.decision = "not_a_lesion";
  in.finding = "Not a skin-lesion photo \u2014 please retake the photo";
  const auto made = store.create_screening(in, Status::kPending);
  EXPECT_TRUE(made.notifications.empty());
  EXPECT_TRUE(store.get_screening(made.id)->notifications.empty());
  EXPECT_TRUE(store.list_notifications(std::nullopt).empty());
  auto bad = sample();
  bad.decision = "no_disease";
  bad.refer = true;
  EXPECT_THROW(store.create_screening(bad, Status::kPending), StoreError);
  EXPECT_EQ(store.list_screenings("", 1).total, 1);
  // The history filters and the reference search.
  const auto other = store.create_screening(sample(), Status::kPending);
  EXPECT_EQ(store.list_screenings("", 1, 20, {"not_a_lesion", std::nullopt}).total, 1);
  EXPECT_EQ(store.list_screenings("", 1, 20, {"", true}).total, 0);
  EXPECT_EQ(store.list_screenings("", 1, 20, {"", false}).total, 2);
  EXPECT_EQ(store.list_screenings("SS-" + std::to_string(other.id), 1).items.at(0).id, other.id);
}

TEST_P(Screenings, CreateAndGetRoundTripKeepsEveryFieldAndUnicodeNames) {
  const auto store_ptr = open();
  Store& store = *store_ptr;
  auto in = sample("Zoë Ñúñez-O'Brien 😀👩🏽‍⚕️", "+14155550123");
  in.doctor_name = "李医生 Доктор";
  in.refer = true;
  in.decision = "inconclusive";
  in.finding = "Inconclusive \u2014 needs a dermatologist's review";
  const auto made = store.create_screening(in, Status::kPending);
  EXPECT_GT(made.id, 0);
  EXPECT_EQ(made.reference,
            "SS-" + std::string(6 - std::to_string(made.id).size(), '0') + std::to_string(made.id));
  EXPECT_TRUE(std::regex_match(made.created_at, kIsoUtc)) << made.created_at;

  const auto got = store.get_screening(made.id);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->patient_name, in.patient_name);
  EXPECT_EQ(got->doctor_name, in.doctor_name);
  EXPECT_EQ(got->patient_phone, in.patient_phone);
  EXPECT_EQ(got->doctor_phone, in.doctor_phone);
  EXPECT_EQ(got->image_sha256, in.image_sha256);
  EXPECT_EQ(got->image_format, "jpeg");
  EXPECT_EQ(got->image_width, 600);
  EXPECT_EQ(got->image_height, 450);
  EXPECT_EQ(got->label, "nv");
  EXPECT_EQ(got->decision, "inconclusive");
  EXPECT_EQ(got->finding, in.finding);
  EXPECT_DOUBLE_EQ(got->confidence, 0.91);
  EXPECT_DOUBLE_EQ(got->malignancy_risk, 0.05);
  EXPECT_TRUE(got->refer);
  EXPECT_EQ(got->result_json, in.result_json);
  EXPECT_EQ(got->model_version, in.model_version);
  EXPECT_EQ(got->reference, made.reference);
  EXPECT_EQ(got->created_at, made.created_at);

  ASSERT_EQ(got->notifications.size(), 2u);
  const auto& p = got->notifications[0];
  const auto& d = got->notifications[1];
  EXPECT_EQ(p.recipient, Recipient::kPatient);
  EXPECT_EQ(p.to, in.patient_phone);
  EXPECT_EQ(d.recipient, Recipient::kDoctor);
  EXPECT_EQ(d.to, in.doctor_phone);
  for (const auto& n : got->notifications) {
    EXPECT_EQ(n.screening_id, made.id);
    EXPECT_EQ(n.status, Status::kPending);
    EXPECT_EQ(n.attempts, 0);
    EXPECT_TRUE(n.twilio_sid.empty());
    EXPECT_TRUE(std::regex_match(n.next_attempt_at, kIsoUtc)) << n.next_attempt_at;
    EXPECT_TRUE(std::regex_match(n.created_at, kIsoUtc));
    EXPECT_TRUE(std::regex_match(n.updated_at, kIsoUtc));
  }
  EXPECT_FALSE(store.get_screening(made.id + 1000).has_value());
}

TEST_P(Screenings, NotConfiguredRowsHaveNoNextAttempt) {
  const auto store_ptr = open();
  Store& store = *store_ptr;
  const auto made = store.create_screening(sample(), Status::kNotConfigured);
  for (const auto& n : made.notifications) {
    EXPECT_EQ(n.status, Status::kNotConfigured);
    EXPECT_TRUE(n.next_attempt_at.empty());
  }
}

TEST_P(Screenings, FailureInsideTheTransactionLeavesNothing) {
  const auto path = db();
  const auto store_ptr = open();
  Store& store = *store_ptr;
  // Another connection installs a trigger that rejects the LAST insert of the transaction
  // (the doctor's notification row), after the screening and patient rows were written.
  if (pg()) {
    raw("CREATE FUNCTION reject() RETURNS trigger LANGUAGE plpgsql AS"
        " $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$;"
        " CREATE TRIGGER reject_doctor BEFORE INSERT ON notifications FOR EACH ROW"
        " WHEN (NEW.recipient = 'doctor') EXECUTE FUNCTION reject()");
  } else {
    raw("CREATE TRIGGER reject_doctor BEFORE INSERT ON notifications"
        " WHEN NEW.recipient = 'doctor' BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
  }
  try {
    store.create_screening(sample(), Status::kPending);
    FAIL() << "expected StoreError";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("injected failure"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  EXPECT_EQ(count("screenings"), 0);
  EXPECT_EQ(count("notifications"), 0);
  EXPECT_EQ(store.list_screenings("", 1).total, 0);

  // The connection is usable afterwards (no transaction left open).
  raw(pg() ? "DROP TRIGGER reject_doctor ON notifications" : "DROP TRIGGER reject_doctor");
  const auto ok = store.create_screening(sample(), Status::kPending);
  EXPECT_EQ(ok.notifications.size(), 2u);
  EXPECT_EQ(count("screenings"), 1);
  EXPECT_EQ(count("notifications"), 2);
}

TEST_P(Screenings, InvalidInputIsRefusedByFieldAndStoresNothing) {
  const auto path = db();
  const auto store_ptr = open();
  Store& store = *store_ptr;
  struct Case {
    std::string field;
    void (*mutate)(NewScreening&);
  };
  const std::vector<Case> cases = {
      {"patient_name", [](NewScreening& s) { s.patient_name = ""; }},
      {"doctor_name", [](NewScreening& s) { s.doctor_name = std::string("bad\xff\xfe", 5); }},
      {"patient_name", [](NewScreening& s) { s.patient_name = std::string(101, 'x'); }},
      {"patient_phone", [](NewScreening& s) { s.patient_phone = "4155550123"; }},
      {"doctor_phone", [](NewScreening& s) { s.doctor_phone = "+1 415 555 0124"; }},
      {"image_sha256", [](NewScreening& s) { s.image_sha256 = "../../etc/passwd"; }},
      {"image_format", [](NewScreening& s) { s.image_format = "gif"; }},
      {"image size", [](NewScreening& s) { s.image_width = 0; }},
      {"decision", [](NewScreening& s) { s.decision = "maybe"; }},
      {"confidence", [](NewScreening& s) { s.confidence = 1.5; }},
      {"malignancy_risk", [](NewScreening& s) { s.malignancy_risk = -0.1; }},
      {"result_json", [](NewScreening& s) { s.result_json = ""; }},
  };
  for (const auto& c : cases) {
    auto s = sample();
    c.mutate(s);
    try {
      store.create_screening(s, Status::kPending);
      ADD_FAILURE() << "accepted bad " << c.field;
    } catch (const StoreError& e) {
      EXPECT_NE(std::string(e.what()).find("invalid " + c.field), std::string::npos) << e.what();
    }
  }
  // Malformed JSON is caught by the schema's CHECK (json_valid) inside the transaction.
  auto s = sample();
  s.result_json = "{not json";
  EXPECT_THROW(store.create_screening(s, Status::kPending), StoreError);
  EXPECT_THROW(store.create_screening(sample(), Status::kSent), StoreError);
  EXPECT_EQ(count("screenings"), 0);
  EXPECT_EQ(count("notifications"), 0);
}

TEST_P(Screenings, ProbabilitiesOffByFloatRoundingAreClamped) {
  const auto store_ptr = open();
  Store& store = *store_ptr;
  auto s = sample();
  s.confidence = 1.0000001;
  s.malignancy_risk = -0.0000001;
  const auto row = store.create_screening(s, Status::kPending);
  EXPECT_EQ(row.confidence, 1.0);
  EXPECT_EQ(row.malignancy_risk, 0.0);
}

TEST_P(Screenings, ErrorsNeverEchoThePhoneNumber) {
  const auto store_ptr = open();
  Store& store = *store_ptr;
  auto s = sample();
  s.patient_phone = "+1415555012x";
  try {
    store.create_screening(s, Status::kPending);
    FAIL();
  } catch (const StoreError& e) {
    EXPECT_EQ(std::string(e.what()).find("555012"), std::string::npos) << e.what();
  }
}

TEST_P(Screenings, ListsNewestFirstWithPagesAndTotals) {
  const auto store_ptr = open();
  Store& store = *store_ptr;
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 45; ++i) {
    ids.push_back(
        store.create_screening(sample("Patient " + std::to_string(i)), Status::kPending).id);
  }
  const auto p1 = store.list_screenings("", 1);
  EXPECT_EQ(p1.total, 45);
  EXPECT_EQ(p1.page, 1);
  EXPECT_EQ(p1.page_size, 20);
  ASSERT_EQ(p1.items.size(), 20u);
  EXPECT_EQ(p1.items[0].id, ids.back());
  for (std::size_t i = 1; i < p1.items.size(); ++i) {
    EXPECT_GT(p1.items[i - 1].id, p1.items[i].id);
    EXPECT_GE(p1.items[i - 1].created_at, p1.items[i].created_at);
  }
  EXPECT_EQ(p1.items[0].notifications.size(), 2u);
  const auto p3 = store.list_screenings("", 3);
  ASSERT_EQ(p3.items.size(), 5u);
  EXPECT_EQ(p3.items.back().id, ids.front());
  EXPECT_TRUE(store.list_screenings("", 4).items.empty());
  EXPECT_EQ(store.list_screenings("", 4).total, 45);
  // page < 1 is read as page 1; page_size is clamped to 1..100.
  const auto p0 = store.list_screenings("", 0);
  EXPECT_EQ(p0.page, 1);
  EXPECT_EQ(p0.items.front().id, ids.back());
  EXPECT_EQ(store.list_screenings("", -5).page, 1);
  EXPECT_EQ(store.list_screenings("", 1, 1000).items.size(), 45u);
  EXPECT_EQ(store.list_screenings("", 1, 0).items.size(), 1u);
  // Pages never overlap and together hold every row.
  std::set<std::int64_t> seen;
  for (int p = 1; p <= 3; ++p) {
    for (const auto& r : store.list_screenings("", p).items) EXPECT_TRUE(seen.insert(r.id).second);
  }
  EXPECT_EQ(seen.size(), 45u);
}

std::vector<std::string> names_of(const Page& page) {
  std::vector<std::string> out;
  for (const auto& r : page.items) out.push_back(r.patient_name);
  return out;
}

TEST_P(Screenings, SearchesNamesCaseInsensitivelyInAnyScript) {
  const auto store_ptr = open();
  Store& store = *store_ptr;
  for (const auto* name : {"Ann Smith", "JOANNA Kowalska", "Bob Stone", "Ánna Lúcia",
                           "ЖАННА Петрова", "李小龙", "Émile Zoë 😀", "Σωκράτης", "100% _real_"}) {
    store.create_screening(sample(name), Status::kPending);
  }
  using V = std::vector<std::string>;
  EXPECT_EQ(names_of(store.list_screenings("ann", 1)), (V{"JOANNA Kowalska", "Ann Smith"}));
  EXPECT_EQ(names_of(store.list_screenings("  ANN  ", 1)).size(), 2u);  // trimmed
  EXPECT_EQ(names_of(store.list_screenings("ánna", 1)), (V{"Ánna Lúcia"}));
  EXPECT_EQ(names_of(store.list_screenings("жанна", 1)), (V{"ЖАННА Петрова"}));
  EXPECT_EQ(names_of(store.list_screenings("小龙", 1)), (V{"李小龙"}));
  EXPECT_EQ(names_of(store.list_screenings("😀", 1)), (V{"Émile Zoë 😀"}));
  EXPECT_EQ(names_of(store.list_screenings("ÉMILE ZOË", 1)), (V{"Émile Zoë 😀"}));
  EXPECT_EQ(names_of(store.list_screenings("ΣΩΚΡΆΤΗΣ", 1)), (V{"Σωκράτης"}));
  EXPECT_EQ(names_of(store.list_screenings("ΣΩΚΡ", 1)), (V{"Σωκράτης"}));
  // LIKE wildcards in the query are plain characters.
  EXPECT_EQ(names_of(store.list_screenings("%", 1)), (V{"100% _real_"}));
  EXPECT_EQ(names_of(store.list_screenings("_", 1)), (V{"100% _real_"}));
  EXPECT_EQ(store.list_screenings("nobody", 1).total, 0);
  EXPECT_EQ(store.list_screenings("", 1).total, 9);
  EXPECT_EQ(store.list_screenings("ann", 1).total, 2);
}

TEST_P(Screenings, SearchesPhoneDigits) {
  const auto store_ptr = open();
  Store& store = *store_ptr;
  store.create_screening(sample("A", "+14155550123"), Status::kPending);
  store.create_screening(sample("B", "+447700900123"), Status::kPending);
  store.create_screening(sample("C", "+4915112345678"), Status::kPending);
  using V = std::vector<std::string>;
  EXPECT_EQ(names_of(store.list_screenings("+1 (415) 555", 1)), (V{"A"}));
  EXPECT_EQ(names_of(store.list_screenings("0123", 1)), (V{"B", "A"}));
  EXPECT_EQ(names_of(store.list_screenings("+44 7700", 1)), (V{"B"}));
  EXPECT_EQ(names_of(store.list_screenings("4", 1)).size(), 3u);
  EXPECT_EQ(store.list_screenings("999999", 1).total, 0);
  // A query with letters is a name query only: "B 4" does not match phones with a 4.
  EXPECT_EQ(store.list_screenings("B 4", 1).total, 0);
  // The doctor's number is not a patient search key.
  EXPECT_EQ(store.list_screenings("7700900123", 1).total, 1);
}

TEST_P(Screenings, ReopeningTheFileKeepsHistory) {
  const auto path = db();
  std::int64_t id = 0;
  {
    const auto store_ptr = open();
    Store& store = *store_ptr;
    id = store.create_screening(sample("Persisted Person 😀"), Status::kNotConfigured).id;
    store.create_screening(sample("Second"), Status::kPending);
  }
  const auto again_ptr = open();
  Store& again = *again_ptr;
  const auto row = again.get_screening(id);
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->patient_name, "Persisted Person 😀");
  EXPECT_EQ(row->notifications.at(0).status, Status::kNotConfigured);
  EXPECT_EQ(again.list_screenings("", 1).total, 2);
  EXPECT_EQ(again.list_screenings("persisted", 1).total, 1);
  const auto next = again.create_screening(sample(), Status::kPending);
  EXPECT_GT(next.id, id);
}

TEST_P(Screenings, IdsAreNeverReusedAfterDeletion) {
  const auto path = db();
  const auto store_ptr = open();
  Store& store = *store_ptr;
  const auto a = store.create_screening(sample(), Status::kPending);
  raw(std::string(pg() ? "" : "PRAGMA foreign_keys = ON; ") +
      "DELETE FROM screenings WHERE id = " + std::to_string(a.id));
  EXPECT_EQ(count("notifications"), 0);  // ON DELETE CASCADE
  const auto b = store.create_screening(sample(), Status::kPending);
  EXPECT_NE(b.reference, a.reference);
}

TEST_P(Screenings, ConcurrentCreatesFromEightThreadsAreAllStored) {
  const auto path = db();
  const auto store_ptr = open();
  Store& store = *store_ptr;
  constexpr int kThreads = 8, kEach = 25;
  std::vector<std::vector<std::int64_t>> ids(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        ids[t].push_back(
            store
                .create_screening(sample("T" + std::to_string(t) + "-" + std::to_string(i)),
                                  Status::kPending)
                .id);
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<std::int64_t> unique;
  for (const auto& v : ids) unique.insert(v.begin(), v.end());
  EXPECT_EQ(unique.size(), static_cast<std::size_t>(kThreads * kEach));
  EXPECT_EQ(store.list_screenings("", 1).total, kThreads * kEach);
  EXPECT_EQ(count("notifications"), 2 * kThreads * kEach);
  EXPECT_EQ(store.list_screenings("t3-", 1).total, kEach);
}

TEST_P(Screenings, ConcurrentCreatesFromTwoConnectionsAreAllStored) {
  const auto path = db();
  const auto a_ptr = open(), b_ptr = open();
  Store &a = *a_ptr, &b = *b_ptr;
  constexpr int kEach = 40;
  std::thread ta([&] {
    for (int i = 0; i < kEach; ++i) a.create_screening(sample("A"), Status::kPending);
  });
  std::thread tb([&] {
    for (int i = 0; i < kEach; ++i) b.create_screening(sample("B"), Status::kPending);
  });
  ta.join();
  tb.join();
  EXPECT_EQ(a.list_screenings("", 1).total, 2 * kEach);
  EXPECT_EQ(b.list_screenings("b", 1).total, kEach);
}

TEST_P(Screenings, CountsByDecisionAndStatus) {
  const auto store_ptr = open();
  Store& store = *store_ptr;
  auto s = sample();
  store.create_screening(s, Status::kPending);
  store.create_screening(s, Status::kPending);
  s.decision = "no_disease";
  store.create_screening(s, Status::kNotConfigured);
  const auto c = store.counts();
  using P = std::vector<std::pair<std::string, std::int64_t>>;
  EXPECT_EQ(c.screenings_by_decision, (P{{"diagnosis", 2}, {"no_disease", 1}}));
  EXPECT_EQ(c.notifications_by_status, (P{{"not_configured", 2}, {"pending", 4}}));
}

}  // namespace
}  // namespace skinscan::store
