// The WhatsApp report text: every field, the refer line, the disclaimer, UTF-16 length
// limit, any script and emoji intact, template variables.
#include "notify/message.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace skinscan::notify {
namespace {

Report sample() {
  Report r;
  r.reference = "SS-000042";
  r.patient_name = "Ana María Løvås";
  r.doctor_name = "Dr. 李小龙";
  r.finding = "Melanoma \u2014 a skin cancer, see a dermatologist";
  r.decision = "diagnosis";
  r.label = "mel";
  r.confidence = 0.914;
  r.refer = true;
  r.date = "2026-11-26";
  r.model_version = "resnet-s-2026.11";
  return r;
}

bool valid_utf8(const std::string& s) {
  // nlohmann throws on invalid UTF-8 when dumping with the strict handler.
  try {
    (void)nlohmann::json(s).dump();
    return true;
  } catch (const nlohmann::json::exception&) {
    return false;
  }
}

TEST(Message, HoldsEveryField) {
  const std::string m = compose_message(sample());
  for (const char* part :
       {"Patient: Ana María Løvås", "Doctor: Dr. 李小龙", "Result: Melanoma \u2014 a skin cancer",
        "Confidence: 91% melanoma", "Date: 2026-11-26", "Model: resnet-s-2026.11",
        "Reference: SS-000042", "Screening aid, not a diagnosis. Please consult your doctor."}) {
    EXPECT_NE(m.find(part), std::string::npos) << part << "\n" << m;
  }
  EXPECT_NE(m.find("dermatologist"), std::string::npos);
}

TEST(Message, ReferLineOnlyWhenFlagged) {
  Report r = sample();
  r.refer = false;
  r.finding = "No disease detected";
  r.decision = "no_disease";
  r.label = "nv";
  r.confidence = 0.62;
  const std::string m = compose_message(r);
  EXPECT_EQ(m.find("dermatologist"), std::string::npos);
  EXPECT_NE(m.find("Result: No disease detected\nConfidence: 62% melanocytic nevus\n"),
            std::string::npos)
      << m;
}

// The melanoma (ISIC_0029512): 76% melanoma, below the threshold, risk 80%. The
// patient's message is never "No disease" when it refers -- also for a row stored under the
// old rule, whose words said "No disease".
TEST(Message, AReferralIsNeverWordedNoDisease) {
  Report r = sample();
  r.decision = "inconclusive";
  r.finding = "Inconclusive \u2014 needs a dermatologist's review";
  r.label = "mel";
  r.confidence = 0.761;
  r.refer = true;
  std::string m = compose_message(r);
  EXPECT_NE(m.find("Result: Inconclusive \u2014 needs a dermatologist's review\n"
                   "Confidence: 76% melanoma\n"
                   "Please see a dermatologist"),
            std::string::npos)
      << m;
  EXPECT_EQ(m.find("No disease"), std::string::npos);
  r.decision = "no_disease";  // a legacy row
  r.finding = "No disease";
  m = compose_message(r);
  EXPECT_EQ(m.find("No disease"), std::string::npos) << m;
  EXPECT_NE(m.find("Result: Inconclusive"), std::string::npos) << m;
  const auto vars = nlohmann::json::parse(content_variables(r));
  EXPECT_EQ(vars["finding"],
            "Inconclusive \u2014 needs a dermatologist's review - please see a dermatologist");
  EXPECT_EQ(vars["confidence"], "76% melanoma");
}

TEST(Message, ConfidenceIsAPercentageClamped) {
  Report r = sample();
  r.confidence = 0.5;
  EXPECT_NE(compose_message(r).find("Confidence: 50% melanoma"), std::string::npos);
  r.confidence = 1.7;
  EXPECT_NE(compose_message(r).find("Confidence: 100% melanoma"), std::string::npos);
  r.confidence = std::nan("");
  EXPECT_NE(compose_message(r).find("Confidence: n/a"), std::string::npos);
}

TEST(Message, AnyScriptAndEmojiSurvive) {
  Report r = sample();
  r.patient_name = "محمد 👩🏽‍⚕️ Ñandú ёлка 김민지";
  r.doctor_name = "Dr. नमस्ते 🇧🇷";
  const std::string m = compose_message(r);
  EXPECT_NE(m.find(r.patient_name), std::string::npos);
  EXPECT_NE(m.find(r.doctor_name), std::string::npos);
  EXPECT_TRUE(valid_utf8(m));
}

TEST(Message, ControlCharactersCannotForgeLines) {
  Report r = sample();
  r.patient_name = "Eve\nResult: No disease\r\t";
  const std::string m = compose_message(r);
  EXPECT_NE(m.find("Patient: Eve Result: No disease\n"), std::string::npos) << m;
  EXPECT_EQ(m.find("\nResult: No disease"), std::string::npos);
}

TEST(Message, LongNamesAreCutOnCodePointsUnderTheLimit) {
  Report r = sample();
  std::string emoji;
  for (int i = 0; i < 3000; ++i) emoji += "😀";  // 2 UTF-16 units each
  r.patient_name = emoji;
  r.doctor_name = std::string(5000, 'x') + "é";
  r.finding = emoji;
  r.model_version = emoji;
  const std::string m = compose_message(r);
  EXPECT_LE(utf16_units(m), kMaxBodyUnits);
  EXPECT_TRUE(valid_utf8(m));
  EXPECT_NE(m.find("…"), std::string::npos);
  EXPECT_NE(m.find(kDisclaimer), std::string::npos);  // the disclaimer is never cut
  EXPECT_NE(m.find("Reference: SS-000042"), std::string::npos);
}

TEST(Message, InvalidUtf8BecomesReplacementCharacters) {
  Report r = sample();
  r.patient_name = std::string("Bad\xC3") + "\xFF name";
  const std::string m = compose_message(r);
  EXPECT_TRUE(valid_utf8(m));
  EXPECT_NE(m.find("Bad\xEF\xBF\xBD\xEF\xBF\xBD name"), std::string::npos);
}

TEST(Utf16, CountsAndCutsLikeWhatsApp) {
  EXPECT_EQ(utf16_units("abc"), 3u);
  EXPECT_EQ(utf16_units("é李"), 2u);
  EXPECT_EQ(utf16_units("😀"), 2u);           // a surrogate pair
  EXPECT_EQ(truncate_utf16("a😀b", 2), "a");  // never half an emoji
  EXPECT_EQ(truncate_utf16("a😀b", 3), "a😀");
  EXPECT_EQ(truncate_utf16("李李", 1), "李");
}

TEST(ContentVariables, NamedAndNumbered) {
  const auto named = nlohmann::json::parse(content_variables(sample()));
  EXPECT_EQ(named["patient"], "Ana María Løvås");
  EXPECT_EQ(named["doctor"], "Dr. 李小龙");
  EXPECT_EQ(named["finding"],
            "Melanoma \u2014 a skin cancer, see a dermatologist - please see a dermatologist");
  EXPECT_EQ(named["confidence"], "91% melanoma");
  EXPECT_EQ(named["date"], "2026-11-26");
  EXPECT_EQ(named["reference"], "SS-000042");
  EXPECT_EQ(named.size(), 6u);
  const auto numbered = nlohmann::json::parse(content_variables(sample(), true));
  EXPECT_EQ(numbered["1"], "Ana María Løvås");
  EXPECT_EQ(numbered["3"],
            "Melanoma \u2014 a skin cancer, see a dermatologist - please see a dermatologist");
  EXPECT_EQ(numbered["6"], "SS-000042");
}

}  // namespace
}  // namespace skinscan::notify
