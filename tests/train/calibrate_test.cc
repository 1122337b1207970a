// choose_prior_adjustment on hand-built logits: with the melanoma floor reachable it keeps
// the first a that reaches it at the best accuracy + balanced accuracy; with the floor out of
// reach it keeps a = 0, even where adding prior back would raise melanoma recall a little
// (the old fallback, "highest melanoma recall", took that a > 0 on a small validation slice).
#include <torch/torch.h>

#include <vector>

#include <gtest/gtest.h>

#include "data/classes.h"
#include "train/calibrate.h"

namespace skinscan {
namespace {

int id(const char* code) { return static_cast<int>(*class_from_code(code)); }

TEST(PriorChoice, UnreachableMelanomaFloorKeepsTheBalancedOperatingPoint) {
  Calibration base;
  // A HAM10000-like training prior: nv common, akiec rarer than mel.
  base.log_prior = {-3.4, -3.0, -2.2, -4.5, -2.2, -0.4, -4.3};
  std::vector<std::vector<float>> rows;
  std::vector<int> labels;
  const auto add = [&](int label, int top, float top_logit, int second, float second_logit) {
    std::vector<float> r(kNumClasses, -5.0f);
    r[static_cast<std::size_t>(top)] = top_logit;
    r[static_cast<std::size_t>(second)] = second_logit;
    rows.push_back(r);
    labels.push_back(label);
  };
  // 3 melanomas just behind akiec: adding >= 0.2 of the prior back makes them melanoma
  // (mel's log prior is 1.2 above akiec's; 0.2 * 1.2 > 0.2).
  for (int i = 0; i < 3; ++i) add(id("mel"), id("akiec"), 1.0f, id("mel"), 0.8f);
  // 7 melanomas firmly called nevi at every a.
  for (int i = 0; i < 7; ++i) add(id("mel"), id("nv"), 9.0f, id("mel"), 0.0f);
  // Correct nevi and bcc, firm at every a.
  for (int i = 0; i < 20; ++i) add(id("nv"), id("nv"), 9.0f, id("bcc"), 0.0f);
  for (int i = 0; i < 5; ++i) add(id("bcc"), id("bcc"), 9.0f, id("nv"), 0.0f);
  torch::Tensor logits =
      torch::empty({static_cast<long>(rows.size()), static_cast<long>(kNumClasses)});
  for (std::size_t i = 0; i < rows.size(); ++i)
    for (std::size_t c = 0; c < kNumClasses; ++c)
      logits[static_cast<long>(i)][static_cast<long>(c)] = rows[i][c];

  // Floor 0.25 is reached from a = 0.2 on (recall 0.3); every such a scores the same, the
  // first wins.
  const PriorChoice reachable = choose_prior_adjustment(logits, labels, base, 0.25);
  EXPECT_NEAR(reachable.adjustment, 0.2, 1e-9);
  EXPECT_NEAR(reachable.melanoma_recall, 0.3, 1e-9);
  // Floor 0.7 is out of reach (at most 3 of 10): a = 0, recall 0, not a = 0.2, recall 0.3.
  const PriorChoice unreachable = choose_prior_adjustment(logits, labels, base, 0.7);
  EXPECT_EQ(unreachable.adjustment, 0.0);
  EXPECT_EQ(unreachable.melanoma_recall, 0.0);
  EXPECT_NEAR(unreachable.accuracy, 25.0 / 35.0, 1e-9);
}

}  // namespace
}  // namespace skinscan
