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
  // A benign diagnosis says it is benign; the confidence says what it is of.
  EXPECT_EQ(decision_words(f), "Melanocytic nevus \u2014 a common mole, benign");
  EXPECT_EQ(confidence_words(f), "80% melanocytic nevus");
}

TEST(Decision, UnderTheThresholdWithLowRiskIsNoDiseaseDetected) {
  const Finding f = decide(probs({{"nv", 0.7999}, {"bkl", 0.1801}, {"mel", 0.02}}), {});
  EXPECT_EQ(f.decision, Decision::kNoDisease);
  EXPECT_EQ(decision_words(f), "No disease detected");
  EXPECT_EQ(confidence_words(f), "80% melanocytic nevus");
  EXPECT_FALSE(f.refer);
}

TEST(Decision, UnderTheThresholdWithoutLowRiskIsInconclusiveAndRefers) {
  // The melanoma: top class mel at 76%, risk 80%: never "No disease".
  const Finding mel = decide(probs({{"mel", 0.761}, {"bcc", 0.042}, {"nv", 0.197}}), {});
  EXPECT_EQ(mel.decision, Decision::kInconclusive);
  EXPECT_TRUE(mel.refer);
  EXPECT_EQ(decision_words(mel), "Inconclusive \u2014 needs a dermatologist's review");
  EXPECT_EQ(confidence_words(mel), "76% melanoma");
  // A benign top class with a risk between low_risk (0.05) and refer_risk (0.30).
  const Finding f = decide(probs({{"nv", 0.7}, {"bkl", 0.2}, {"mel", 0.1}}), {});
  EXPECT_EQ(f.decision, Decision::kInconclusive);
  EXPECT_TRUE(f.refer);
}

TEST(Decision, LowRiskIsCappedByTheReferRisk) {
  DecisionRule r;
  r.low_risk = 0.9;  // larger than refer_risk: a risk of 0.35 still refers, so inconclusive
  const Finding f =
      decide(probs({{"nv", 0.6}, {"mel", 0.2}, {"bcc", 0.1}, {"akiec", 0.05}, {"bkl", 0.05}}), r);
  EXPECT_NEAR(f.malignancy_risk, 0.35, 1e-12);
  EXPECT_EQ(f.decision, Decision::kInconclusive);
  EXPECT_TRUE(f.refer);
}

TEST(Decision, MalignantDiagnosisSaysSoAndRefers) {
  const Finding f = decide(probs({{"mel", 0.9}, {"nv", 0.1}}), {});
  EXPECT_EQ(f.decision, Decision::kDiagnosis);
  EXPECT_TRUE(f.refer);
  EXPECT_EQ(decision_words(f), "Melanoma \u2014 a skin cancer, see a dermatologist");
}

// THE invariant, over a grid of probability vectors and rules: a result that refers is
// never worded "No disease".
TEST(Decision, AReferralIsNeverWordedNoDisease) {
  int checked = 0, no_disease = 0;
  for (double low : {0.0, 0.05, 0.2, 0.3, 0.6, 1.0}) {
    for (double refer : {0.1, 0.3, 0.5}) {
      DecisionRule r;
      r.low_risk = low;
      r.refer_risk = refer;
      for (int a = 0; a <= 20; ++a) {
        for (int b = 0; a + b <= 20; ++b) {
          for (int c = 0; a + b + c <= 20; ++c) {
            const double pm = a / 20.0, pn = b / 20.0, pb = c / 20.0;
            const Finding f = decide(
                probs({{"mel", pm}, {"nv", pn}, {"bkl", pb}, {"df", 1.0 - pm - pn - pb}}), r);
            ++checked;
            no_disease += f.decision == Decision::kNoDisease;
            if (f.refer) {
              EXPECT_NE(f.decision, Decision::kNoDisease);
              EXPECT_EQ(decision_words(f).find("No disease"), std::string::npos);
            }
            if (f.decision == Decision::kInconclusive) {
              EXPECT_TRUE(f.refer);
            }
          }
        }
      }
    }
  }
  EXPECT_GT(no_disease, 0);
  EXPECT_GT(checked, 10000);
}

TEST(Decision, FitLowRiskLetsAtMostTheShareOfMalignantRowsThrough) {
  // 100 malignant rows under the threshold (top class nv at 60%) with risks 0.003..0.3,
  // and 100 benign rows.
  std::vector<ClassProbs> rows;
  std::vector<int> labels;
  for (int i = 1; i <= 100; ++i) {
    const double risk = i / 100.0 * 0.3;
    rows.push_back(probs({{"mel", risk}, {"nv", 0.6}, {"bkl", 0.4 - risk}}));
    labels.push_back(id("mel"));
    rows.push_back(probs({{"mel", 0.001 * i}, {"nv", 0.7}, {"bkl", 0.3 - 0.001 * i}}));
    labels.push_back(id("nv"));
  }
  const LowRiskFit fit = fit_low_risk(rows, labels, {}, 0.03);
  EXPECT_EQ(fit.malignant, 100);
  EXPECT_EQ(fit.malignant_no_disease, 3);
  EXPECT_NEAR(fit.low_risk, 4 / 100.0 * 0.3, 1e-12);
  EXPECT_GT(fit.benign_no_disease, 0);
  // Nothing malignant under the threshold: the cap is the refer risk.
  const LowRiskFit none = fit_low_risk({probs({{"mel", 0.9}, {"nv", 0.1}})}, {id("mel")}, {}, 0.03);
  EXPECT_DOUBLE_EQ(none.low_risk, 0.30);
}

TEST(Decision, ReliabilityWordsQuoteTheBinOfTheConfidence) {
  std::vector<ClassProbs> rows;
  std::vector<int> labels;
  for (int i = 0; i < 10; ++i) {  // 10 rows at 75% confidence, 7 right
    rows.push_back(probs({{"nv", 0.75}, {"bkl", 0.25}}));
    labels.push_back(i < 7 ? id("nv") : id("bkl"));
  }
  const auto bins = reliability_bins(rows, labels);
  EXPECT_EQ(reliability_words(bins, 0.76),
            "On held-out images, when the top class had 70-80% confidence it was right 70% of "
            "the time (10 images).");
  EXPECT_EQ(reliability_words(bins, 0.95), "");  // an empty bin says nothing
}

TEST(Decision, TableCountsReferralsAndNoDisease) {
  const DecisionRule r;
  std::vector<Finding> f = {decide(probs({{"mel", 0.9}, {"nv", 0.1}}), r),
                            decide(probs({{"nv", 0.7}, {"bkl", 0.28}, {"mel", 0.02}}), r),
                            decide(probs({{"nv", 0.7}, {"bkl", 0.28}, {"mel", 0.02}}), r)};
  const DecisionTable t = tabulate(f, {id("mel"), id("mel"), id("nv")});
  EXPECT_EQ(t.malignant, 2);
  EXPECT_EQ(t.malignant_no_disease, 1);
  EXPECT_EQ(t.malignant_referred, 1);
  EXPECT_EQ(t.benign, 1);
  EXPECT_EQ(t.benign_no_disease, 1);
  EXPECT_NE(decision_table_text(t).find("malignant worded \"No disease\": 1 of 2"),
            std::string::npos);
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
  EXPECT_EQ(decision_words(f), "Not a skin-lesion photo \u2014 please retake the photo");
  EXPECT_EQ(confidence_words(f), "");  // names no disease
}

}  // namespace
}  // namespace skinscan
