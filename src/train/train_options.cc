#include "train/train_options.h"

#include "data/enum_names.h"

namespace skinscan {

const char* balance_name(Balance b) {
  switch (b) {
    case Balance::kNone:
      return "none";
    case Balance::kOversample:
      return "oversample";
    case Balance::kWeighted:
      return "weighted";
    case Balance::kSqrtOversample:
      return "sqrt-oversample";
    case Balance::kLogitAdjust:
      break;
  }
  return "logit-adjust";
}

double balanced_prior_adjustment(Balance b) {
  switch (b) {
    case Balance::kNone:
      return -1.0;
    case Balance::kSqrtOversample:
      return -0.5;
    case Balance::kOversample:
    case Balance::kWeighted:
    case Balance::kLogitAdjust:
      break;
  }
  return 0.0;
}

std::optional<Balance> balance_from_name(std::string_view name) {
  return enum_from_name(name, kBalances, balance_name);
}

const char* optimizer_name(Optimizer o) { return o == Optimizer::kSgd ? "sgd" : "adamw"; }

const char* schedule_name(Schedule s) { return s == Schedule::kCosine ? "cosine" : "onecycle"; }

const char* precision_name(Precision p) { return p == Precision::kBf16 ? "bf16" : "fp32"; }

const char* epoch_rule_name(EpochRule r) {
  switch (r) {
    case EpochRule::kLast:
      return "last";
    case EpochRule::kAverageLast:
      return "average-last";
    case EpochRule::kBestBalanced:
      break;
  }
  return "best-balanced";
}

const char* mix_name(Mix m) {
  switch (m) {
    case Mix::kMixup:
      return "mixup";
    case Mix::kCutmix:
      return "cutmix";
    case Mix::kNone:
      break;
  }
  return "none";
}

nlohmann::ordered_json train_options_json(const TrainOptions& o) {
  const AugmentOptions& a = o.augment_options;
  nlohmann::ordered_json j = {{"arch", o.arch},
                              {"backbone", o.backbone},
                              {"input_width", o.input_width},
                              {"input_height", o.input_height},
                              {"colour_constancy", colour_constancy_name(o.colour)},
                              {"epochs", o.epochs},
                              {"batch_size", o.batch_size},
                              {"lr", o.lr},
                              {"weight_decay", o.weight_decay},
                              {"optimizer", optimizer_name(o.optimizer)},
                              {"schedule", schedule_name(o.schedule)},
                              {"precision", precision_name(o.precision)},
                              {"epoch_rule", epoch_rule_name(o.epoch_rule)},
                              {"label_smoothing", o.label_smoothing},
                              {"balance", balance_name(o.balance)},
                              {"logit_tau", o.logit_tau},
                              {"min_mel_recall", o.min_mel_recall},
                              {"augment", o.augment},
                              {"augment_options",
                               {{"flips", a.flips},
                                {"max_rotation_deg", a.max_rotation_deg},
                                {"scale", {a.scale_min, a.scale_max}},
                                {"max_shift", a.max_shift},
                                {"brightness", a.brightness},
                                {"contrast", a.contrast},
                                {"saturation", a.saturation},
                                {"colour_cast", a.colour_cast},
                                {"gamma", a.gamma},
                                {"blur_probability", a.blur_probability},
                                {"vignette_probability", a.vignette_probability}}},
                              {"ema_decay", o.ema_decay},
                              {"mask_weight", o.mask_weight},
                              {"seed", o.seed},
                              {"limit", o.limit}};
  // Only distilled runs carry the key, so earlier runs' options (and resume keys) stay as
  // they were.
  // Likewise only mixed runs carry the mixing key.
  if (o.mix != Mix::kNone) {
    j["mix"] = {
        {"mode", mix_name(o.mix)}, {"alpha", o.mix_alpha}, {"probability", o.mix_probability}};
  }
  // Likewise only runs that fill the field of view carry its key.
  if (o.field_of_view != FieldOfView::kAsIs)
    j["field_of_view"] = field_of_view_name(o.field_of_view);
  // Likewise only data-parallel runs carry the replicas key.
  if (o.replicas > 1) j["replicas"] = o.replicas;
  if (o.replicas > 1) j["batch_norm"] = o.ghost_batch_norm ? "ghost" : "synchronised";
  if (o.channels_last) j["channels_last"] = true;
  // Likewise only weight-averaged runs carry the number of epochs averaged.
  if (o.epoch_rule == EpochRule::kAverageLast) j["average_epochs"] = o.average_epochs;
  if (!o.teacher.empty()) {
    j["distill"] = {{"teacher", o.teacher},
                    {"weight", o.distill_weight},
                    {"temperature", o.distill_temperature}};
  }
  return j;
}

}  // namespace skinscan
