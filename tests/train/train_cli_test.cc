// `skinscan train` and `skinscan split` through the binary: typed options refuse unknown
// names with the choices, cross-validation folds write a split without test rows, and an
// interrupted training run (`--stop-after`) continues with `--resume` to a complete model.
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/paths.h"

namespace fs = std::filesystem;

namespace skinscan {
namespace {

using ::testing::HasSubstr;

using testing::Ran;

Ran run(const std::string& args) { return testing::run_skinscan(args); }

TEST(TrainCli, UnknownOptionNamesAreRefusedWithTheChoices) {
  testing::TempDir dir("train-cli-names");
  const std::string data = testing::ham10000_dir().string();
  const std::string out = (dir / "m").string();
  Ran r = run("train --data " + data + " --out " + out + " --balance bogus");
  EXPECT_NE(r.status, 0);
  EXPECT_THAT(r.output,
              HasSubstr("'bogus' is not one of logit-adjust, none, oversample, weighted"));
  r = run("train --data " + data + " --out " + out + " --colour-constancy retinex");
  EXPECT_NE(r.status, 0);
  EXPECT_THAT(r.output, HasSubstr("not one of none, shades-of-gray"));
  r = run("train --data " + data + " --out " + out + " --precision fp64");
  EXPECT_NE(r.status, 0);
  EXPECT_THAT(r.output, HasSubstr("'fp64' is not one of bf16, fp32"));
  r = run("train --data " + data + " --out " + out + " --epoch-rule first");
  EXPECT_NE(r.status, 0);
  EXPECT_THAT(r.output, HasSubstr("'first' is not one of best-balanced, last"));
  r = run("train --data " + data + " --out " + out + " --mix blend");
  EXPECT_NE(r.status, 0);
  EXPECT_THAT(r.output, HasSubstr("'blend' is not one of cutmix, mixup, none"));
  r = run("train --data " + data + " --out " + out + " --distill-weight 0.5");
  EXPECT_NE(r.status, 0);
  EXPECT_THAT(r.output, HasSubstr("--distill-weight requires --teacher"));
  r = run("train --data " + data + " --out " + out + " --teacher " + (dir / "none").string());
  EXPECT_NE(r.status, 0);
  EXPECT_THAT(r.output, HasSubstr("Directory does not exist"));
  EXPECT_FALSE(fs::exists(out));
}

TEST(TrainCli, CrossValidationFoldExcludesTestRows) {
  testing::TempDir dir("train-cli-cv");
  const std::string data = testing::ham10000_dir().string();
  const fs::path fold = dir / "fold2.json";
  Ran r = run("split --data " + data + " --from " + data +
              "/reference_split.csv --cv-fold 2/5 --out " + fold.string());
  ASSERT_EQ(r.status, 0) << r.output;
  const auto j = nlohmann::json::parse(std::ifstream(fold));
  std::map<std::string, int> parts;
  for (const auto& [id, part] : j.at("images").items()) ++parts[part.get<std::string>()];
  EXPECT_EQ(parts["excluded"], 1006);  // the reference split's test rows
  EXPECT_EQ(parts.count("test"), 0u);
  EXPECT_GT(parts["val"], 1500);
  EXPECT_LT(parts["val"], 2100);
  r = run("split --data " + data + " --from " + data + "/reference_split.csv --cv-fold 6/5 --out " +
          (dir / "bad.json").string());
  EXPECT_NE(r.status, 0);
  EXPECT_THAT(r.output, HasSubstr("--cv-fold must look like 2/5"));
  EXPECT_FALSE(fs::exists(dir / "bad.json"));
}

TEST(TrainCli, StoppedRunResumesToACompleteModel) {
  testing::TempDir dir("train-cli-resume");
  const std::string data = testing::ham10000_dir().string();
  const std::string split = (dir / "split.json").string();
  ASSERT_EQ(run("split --data " + data + " --from " + data + "/reference_split.csv --out " + split)
                .status,
            0);
  const fs::path out = dir / "m";
  const std::string train = "train --data " + data + " --split " + split + " --out " +
                            out.string() +
                            " --arch resnet-s --input-size 48x36 --epochs 2 --limit 160 "
                            "--balance none --batch-size 32 --threads 1 --version cli";
  // Nothing to resume yet: a clear error, nothing written.
  Ran r = run(train + " --resume");
  EXPECT_NE(r.status, 0);
  EXPECT_THAT(r.output, HasSubstr("--resume: no checkpoint"));
  EXPECT_FALSE(fs::exists(out / "model.json"));

  r = run(train + " --stop-after 1");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("stopped after epoch 1"));
  EXPECT_TRUE(fs::exists(out / "checkpoint" / "state.json"));
  EXPECT_FALSE(fs::exists(out / "model.json"));

  r = run(train + " --resume");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(fs::exists(out / "model.json"));
  EXPECT_FALSE(fs::exists(out / "checkpoint"));
  const auto m = nlohmann::json::parse(std::ifstream(out / "model.json"));
  EXPECT_EQ(m["training"]["resumed_after_epoch"], 1);
  EXPECT_EQ(m["training"]["balance"], "none");
}

}  // namespace
}  // namespace skinscan
