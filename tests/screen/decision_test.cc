#include "screen/decision.h"

#include <gtest/gtest.h>

namespace skinscan {
namespace {

ClassId id(const char* code) { return *class_from_code(code); }

ClassProbs probs(std::initializer_list<std::pair<const char*, double>> values) {
  ClassProbs p{};
  for (const auto& [code, v] : values) p[static_cast<std::size_t>(id(code))] = v;
  return p;
}

TEST(Decision, ExactlyTheThresholdIsADiagnosis) {
  const Finding f = decide(probs({{"nv", 0.80}, {"bkl", 0.20}}), {});
  EXPECT_EQ(f.decision, Decision::kDiagnosis);
  EXPECT_EQ(f.label, id("nv"));
  EXPECT_DOUBLE_EQ(f.confidence, 0.80);
  EXPECT_FALSE(f.refer);
  EXPECT_EQ(decision_words(f), "Melanocytic nevi");
}

TEST(Decision, JustUnderTheThresholdIsNoDisease) {
  const Finding f = decide(probs({{"nv", 0.7999}, {"bkl", 0.2001}}), {});
  EXPECT_EQ(f.decision, Decision::kNoDisease);
  EXPECT_EQ(decision_words(f), "No disease");
  EXPECT_FALSE(f.refer);
}

TEST(Decision, HighMalignancyUnderThresholdIsNeverPlainNoDisease) {
  // Top class nv at 0.6, but mel+bcc+akiec = 0.35 >= 0.30: refer.
  const Finding f =
      decide(probs({{"nv", 0.6}, {"mel", 0.2}, {"bcc", 0.1}, {"akiec", 0.05}, {"bkl", 0.05}}), {});
  EXPECT_EQ(f.decision, Decision::kNoDisease);
  EXPECT_NEAR(f.malignancy_risk, 0.35, 1e-12);
  EXPECT_TRUE(f.refer);
  DecisionRule lax;
  lax.refer_risk = 0.5;
  EXPECT_FALSE(
      decide(probs({{"nv", 0.6}, {"mel", 0.2}, {"bcc", 0.1}, {"akiec", 0.05}, {"bkl", 0.05}}), lax)
          .refer);
}

TEST(Decision, MalignantDiagnosisAlwaysRefers) {
  const Finding f = decide(probs({{"mel", 0.9}, {"nv", 0.1}}), {});
  EXPECT_EQ(f.decision, Decision::kDiagnosis);
  EXPECT_TRUE(f.refer);
}

TEST(Decision, TiesGoToTheMalignantClassThenLowerIndex) {
  const Finding f = decide(probs({{"nv", 0.4}, {"mel", 0.4}, {"bkl", 0.2}}), {});
  EXPECT_EQ(f.label, id("mel"));
  EXPECT_EQ(f.top3[1], id("nv"));
  EXPECT_EQ(f.top3[2], id("bkl"));
  const Finding g = decide(probs({{"nv", 0.5}, {"bkl", 0.5}}), {});
  EXPECT_EQ(g.label, id("bkl"));  // both benign: lower index (bkl=2 < nv=5)
}

TEST(Decision, ConfigurableThreshold) {
  DecisionRule r;
  r.threshold = 0.5;
  EXPECT_EQ(decide(probs({{"nv", 0.6}, {"bkl", 0.4}}), r).decision, Decision::kDiagnosis);
}

TEST(Decision, NotALesionOverridesEverything) {
  const Finding f = decide(probs({{"mel", 0.95}, {"nv", 0.05}}), {}, true);
  EXPECT_EQ(f.decision, Decision::kNotALesion);
  EXPECT_FALSE(f.refer);
  EXPECT_EQ(decision_words(f), "Not a skin-lesion photo");
}

}  // namespace
}  // namespace skinscan
