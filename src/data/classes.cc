#include "data/classes.h"

namespace skinscan {

std::optional<ClassId> class_from_code(std::string_view code) {
  for (std::size_t i = 0; i < kNumClasses; ++i) {
    if (kClasses[i].code == code) return static_cast<ClassId>(i);
  }
  return std::nullopt;
}

std::optional<ClassId> class_from_hmnist_label(int label) {
  // Seed order: akiec, bcc, bkl, df, nv, vasc, mel.
  static constexpr std::array<std::string_view, kNumClasses> kSeedOrder = {
      "akiec", "bcc", "bkl", "df", "nv", "vasc", "mel"};
  if (label < 0 || label >= static_cast<int>(kNumClasses)) return std::nullopt;
  return class_from_code(kSeedOrder[static_cast<std::size_t>(label)]);
}

}  // namespace skinscan
