// Metric functions against hand-computed cases.
#include "train/metrics.h"

#include <cmath>

#include <gtest/gtest.h>

namespace skinscan {
namespace {

ProbRows one_hot(const std::vector<int>& pred, float conf = 1.0f) {
  ProbRows rows;
  for (int p : pred) {
    std::vector<float> r(7, (1.0f - conf) / 6.0f);
    r[static_cast<std::size_t>(p)] = conf;
    rows.push_back(r);
  }
  return rows;
}

TEST(Metrics, HandComputedCaseWithAClassNeverPredicted) {
  // Labels: 4x class 0, 2x class 1, 2x class 2. Class 2 is never predicted.
  const std::vector<int> y = {0, 0, 0, 0, 1, 1, 2, 2};
  const std::vector<int> p = {0, 0, 0, 1, 1, 1, 0, 1};
  const Metrics m = compute_metrics(y, p, one_hot(p), 0);
  EXPECT_EQ(m.n, 8);
  EXPECT_DOUBLE_EQ(m.accuracy, 5.0 / 8);
  // Recalls: class 0 3/4, class 1 2/2, class 2 0/2 -> mean over present classes.
  EXPECT_DOUBLE_EQ(m.balanced_accuracy, (0.75 + 1.0 + 0.0) / 3);
  EXPECT_DOUBLE_EQ(m.per_class[0].precision, 3.0 / 4);  // predicted 0: 3 right of 4
  EXPECT_DOUBLE_EQ(m.per_class[1].precision, 2.0 / 4);
  EXPECT_DOUBLE_EQ(m.per_class[2].precision, 0.0);  // never predicted -> 0
  EXPECT_DOUBLE_EQ(m.per_class[2].f1, 0.0);
  EXPECT_DOUBLE_EQ(m.per_class[0].f1, 0.75);
  EXPECT_NEAR(m.per_class[1].f1, 2 * 0.5 * 1.0 / 1.5, 1e-12);
  EXPECT_NEAR(m.macro_f1, (0.75 + 2.0 / 3 + 0) / 3, 1e-12);
  EXPECT_NEAR(m.weighted_f1, (4 * 0.75 + 2 * 2.0 / 3) / 8, 1e-12);
  EXPECT_EQ(m.confusion[2][0], 1);
  EXPECT_EQ(m.confusion[2][1], 1);
  EXPECT_EQ(m.per_class[5].support, 0);
  EXPECT_TRUE(std::isnan(m.auc_ovr[5]));  // no positives
}

TEST(Metrics, AucMatchesMannWhitneyWithTies) {
  // Positives 0.8, 0.4; negatives 0.4, 0.1: pairs (0.8>0.4, 0.8>0.1, 0.4=0.4 -> 0.5, 0.4>0.1)
  EXPECT_DOUBLE_EQ(auc_binary({0.8, 0.4, 0.4, 0.1}, {1, 1, 0, 0}), 3.5 / 4);
  EXPECT_DOUBLE_EQ(auc_binary({0.1, 0.9}, {1, 0}), 0.0);
}

TEST(Metrics, EceOfPerfectlyCalibratedAndOverconfidentPredictions) {
  // Confidence 1.0 and always right -> 0; confidence 0.9 and right half the time -> 0.4.
  EXPECT_NEAR(expected_calibration_error({0, 1}, one_hot({0, 1})), 0.0, 1e-6);
  EXPECT_NEAR(expected_calibration_error({0, 1}, one_hot({0, 0}, 0.9f)), 0.4, 1e-6);
}

TEST(Metrics, BootstrapIntervalsContainThePointEstimateAndAreSeeded) {
  std::vector<int> y, p;
  for (int i = 0; i < 200; ++i) {
    y.push_back(i % 7);
    p.push_back(i % 5 == 0 ? (i + 1) % 7 : i % 7);
  }
  const Metrics a = compute_metrics(y, p, one_hot(p), 300, 1);
  const Metrics b = compute_metrics(y, p, one_hot(p), 300, 1);
  EXPECT_LE(a.accuracy_ci.lo, a.accuracy);
  EXPECT_GE(a.accuracy_ci.hi, a.accuracy);
  EXPECT_LT(a.accuracy_ci.lo, a.accuracy_ci.hi);
  EXPECT_LE(a.balanced_accuracy_ci.lo, a.balanced_accuracy);
  EXPECT_GE(a.balanced_accuracy_ci.hi, a.balanced_accuracy);
  EXPECT_EQ(a.accuracy_ci.lo, b.accuracy_ci.lo);
}

}  // namespace
}  // namespace skinscan
