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
  r.finding = "Melanoma";
  r.decision = "diagnosis";
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
       {"Patient: Ana María Løvås", "Doctor: Dr. 李小龙", "Result: Melanoma", "Confidence: 91%",
        "Date: 2026-11-26", "Model: resnet-s-2026.11", "Reference: SS-000042",
        "Screening aid, not a diagnosis. Please consult your doctor."}) {
    EXPECT_NE(m.find(part), std::string::npos) << part << "\n" << m;
  }
  EXPECT_NE(m.find("dermatologist"), std::string::npos);
}

TEST(Message, ReferLineOnlyWhenFlagged) {
  Report r = sample();
  r.refer = false;
  r.finding = "No disease";
  r.decision = "no_disease";
  const std::string m = compose_message(r);
  EXPECT_EQ(m.find("dermatologist"), std::string::npos);
  EXPECT_NE(m.find("Result: No disease"), std::string::npos);
}

TEST(Message, ConfidenceIsAPercentageClamped) {
  Report r = sample();
  r.confidence = 0.5;
  EXPECT_NE(compose_message(r).find("Confidence: 50%"), std::string::npos);
  r.confidence = 1.7;
  EXPECT_NE(compose_message(r).find("Confidence: 100%"), std::string::npos);
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
  EXPECT_EQ(named["finding"], "Melanoma - please see a dermatologist");
  EXPECT_EQ(named["confidence"], "91%");
  EXPECT_EQ(named["date"], "2026-11-26");
  EXPECT_EQ(named["reference"], "SS-000042");
  EXPECT_EQ(named.size(), 6u);
  const auto numbered = nlohmann::json::parse(content_variables(sample(), true));
  EXPECT_EQ(numbered["1"], "Ana María Løvås");
  EXPECT_EQ(numbered["3"], "Melanoma - please see a dermatologist");
  EXPECT_EQ(numbered["6"], "SS-000042");
}

}  // namespace
}  // namespace skinscan::notify
