// Knowledge distillation (`skinscan train --teacher DIR`) on real HAM10000 images: the
// distillation loss is the KL divergence to the teacher's calibrated probabilities (zero for
// a student equal to its teacher, falling as a student learns an unrelated teacher), a short
// run records its teacher in model.json and trains differently from the same run without
// one, and a teacher from another split or with another input is refused before anything is
// written.
#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "data/error.h"
#include "model/classifier_torch.h"
#include "support/paths.h"
#include "train/small_dataset.h"
#include "train/train_step.h"
#include "train/trainer.h"

namespace skinscan {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

TEST(Distill, LossIsTheDivergenceFromTheTeachersProbabilities) {
  const int threads_before = torch::get_num_threads();
  torch::set_num_threads(1);
  const testing::OneBatch batch = testing::one_batch(32);
  const auto& [spec, train, counts, all] = batch;

  TrainOptions o;
  o.augment = false;
  o.balance = Balance::kNone;
  o.distill_weight = 1.0;  // the step follows the teacher only
  torch::manual_seed(7);
  TrainingRun run(o, spec, torch::kCPU, train, {}, counts, 40);
  // Without a teacher there is no distillation loss.
  run.net->eval();  // eval mode: the student's BatchNorm uses the statistics the teacher uses
  EXPECT_EQ(train_step(run, all).distill_loss, 0.0);

  // A teacher equal to the student (identity calibration): no divergence, whatever the labels.
  const Net twin = make_net("resnet-s", spec);
  restore(*twin, snapshot(*run.net));
  twin->eval();
  run.teacher = twin;
  const StepResult same = train_step(run, all);
  EXPECT_LT(same.distill_loss, 1e-6);
  EXPECT_GT(same.loss, 0.5);  // the hard-label loss is still computed and reported

  // An unrelated teacher, sharpened by a calibration temperature below 1: a clear
  // divergence, which steps on distillation alone shrink.
  torch::manual_seed(8);
  const Net other = make_net("resnet-s", spec);
  other->eval();
  run.teacher = other;
  run.teacher_calibration.temperature = 0.2;
  const double first = train_step(run, all).distill_loss;
  double last = first;
  for (int k = 0; k < 15; ++k) last = train_step(run, all).distill_loss;
  std::printf("divergence from an unrelated teacher: %.4f -> %.4f after 15 steps\n", first, last);
  EXPECT_GT(first, 0.01);
  EXPECT_LT(last, 0.5 * first);
  torch::set_num_threads(threads_before);
}

TEST(Distill, ShortRunRecordsItsTeacherAndRefusesAnotherSplitsOrInputs) {
  const int threads_before = torch::get_num_threads();
  const Dataset ds = testing::ham10000_sample(9);
  const Split split = make_split(ds);
  const TrainOptions o = testing::short_run_options();
  testing::TempDir dir("distill");
  TrainOptions t = o;
  t.version = "teacher-v1";
  t.seed = 5;
  train_model(ds, split, t, (dir / "teacher").string());

  TrainOptions s = o;
  s.version = "student";
  const Classifier plain = *train_model(ds, split, s, (dir / "plain").string());
  s.teacher = (dir / "teacher").string();
  s.distill_weight = 0.7;
  const Classifier student = *train_model(ds, split, s, (dir / "student").string());
  std::ifstream mf(dir / "student" / "model.json");
  const auto training = nlohmann::json::parse(mf)["training"];
  EXPECT_EQ(training["distill"]["teacher_version"], "teacher-v1");
  EXPECT_EQ(training["distill"]["teacher_arch"], "resnet-s");
  EXPECT_EQ(training["distill"]["weight"], 0.7);
  std::ifstream pf(dir / "plain" / "model.json");
  EXPECT_FALSE(nlohmann::json::parse(pf)["training"].contains("distill"));
  // Same seed, same images: the teacher is the only difference.
  const auto pp = plain.net()->parameters(), ps = student.net()->parameters();
  ASSERT_EQ(pp.size(), ps.size());
  bool differs = false;
  for (std::size_t k = 0; k < pp.size(); ++k) differs = differs || !torch::equal(pp[k], ps[k]);
  EXPECT_TRUE(differs);

  // A teacher trained on another split may have seen this split's validation rows.
  SplitOptions other_seed;
  other_seed.seed = 3;
  const Split other = make_split(ds, other_seed);
  ASSERT_NE(other.fingerprint(), split.fingerprint());
  try {
    train_model(ds, other, s, (dir / "refused-split").string());
    ADD_FAILURE() << "a teacher from another split was accepted";
  } catch (const skinscan::Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("not on this dataset"));
  }
  EXPECT_FALSE(fs::exists(dir / "refused-split"));
  TrainOptions smaller = s;
  smaller.input_width = 48;
  smaller.input_height = 36;
  try {
    train_model(ds, split, smaller, (dir / "refused-input").string());
    ADD_FAILURE() << "a teacher with another input size was accepted";
  } catch (const skinscan::Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("takes 64x48 input"));
  }
  EXPECT_FALSE(fs::exists(dir / "refused-input"));
  torch::set_num_threads(threads_before);
}

// The resume key holds the teacher's version: a teacher retrained in place (same path)
// between an interruption and `--resume` is refused; the same teacher is accepted.
TEST(Distill, ResumeRefusesATeacherRetrainedInPlace) {
  const int threads_before = torch::get_num_threads();
  const Dataset ds = testing::ham10000_sample(9);
  const Split split = make_split(ds);
  TrainOptions o = testing::short_run_options();
  testing::TempDir dir("distill-resume");
  const fs::path teacher = dir / "teacher", student = dir / "student";
  TrainOptions t = o;
  t.version = "teacher-v1";
  train_model(ds, split, t, teacher.string());

  TrainOptions first = o;
  first.epochs = 2;
  first.stop_after = 1;
  first.teacher = teacher.string();
  EXPECT_FALSE(train_model(ds, split, first, student.string()).has_value());
  ASSERT_TRUE(fs::exists(student / "checkpoint" / "state.json"));

  const auto set_teacher_version = [&](const std::string& version) {
    std::ifstream in(teacher / "model.json");
    nlohmann::json j = nlohmann::json::parse(in);
    in.close();
    j["version"] = version;
    std::ofstream(teacher / "model.json") << j.dump(2) << "\n";
  };
  set_teacher_version("teacher-v2");
  TrainOptions again = first;
  again.stop_after = 0;
  again.resume = true;
  try {
    train_model(ds, split, again, student.string());
    ADD_FAILURE() << "a teacher retrained in place was accepted on --resume";
  } catch (const skinscan::Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("the options or the teacher differ"));
  }
  EXPECT_FALSE(fs::exists(student / "model.json"));

  set_teacher_version("teacher-v1");
  const Classifier resumed = *train_model(ds, split, again, student.string());
  EXPECT_EQ(resumed.info().extra["training"]["resumed_after_epoch"], 1);
  EXPECT_EQ(resumed.info().extra["training"]["distill"]["teacher_version"], "teacher-v1");
  torch::set_num_threads(threads_before);
}

}  // namespace
}  // namespace skinscan
