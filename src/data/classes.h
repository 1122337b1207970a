// The seven HAM10000 diagnostic classes: the ONE definition used by every stage
// (readers, EDA, training, screening, web, messages).
//
// Class order is the HAM10000 alphabetical order of the `dx` codes; a ClassId is an
// index into kClasses. Models store this order in model.json and refuse to load if it
// differs, so a class index means the same thing everywhere.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace skinscan {

struct ClassInfo {
  std::string_view code;  // HAM10000 `dx` code, e.g. "mel"
  std::string_view name;  // full name shown to people, e.g. "Melanoma"
  bool malignant;         // mel, bcc and akiec count towards malignancy risk
};

inline constexpr std::size_t kNumClasses = 7;
using ClassId = int;  // 0 .. kNumClasses-1, index into kClasses

inline constexpr std::array<ClassInfo, kNumClasses> kClasses = {{
    {"akiec", "Actinic keratoses and intraepithelial carcinoma", true},
    {"bcc", "Basal cell carcinoma", true},
    {"bkl", "Benign keratosis-like lesions", false},
    {"df", "Dermatofibroma", false},
    {"mel", "Melanoma", true},
    {"nv", "Melanocytic nevi", false},
    {"vasc", "Vascular lesions", false},
}};

// Returns the class whose code equals `code` (exact, lower-case), or nullopt.
std::optional<ClassId> class_from_code(std::string_view code);

// The seed article's hmnist label mapping (0 akiec, 1 bcc, 2 bkl, 3 df, 4 nv, 5 vasc,
// 6 mel) to our ClassId; nullopt for labels outside 0..6.
std::optional<ClassId> class_from_hmnist_label(int label);

inline std::string_view class_code(ClassId id) { return kClasses.at(id).code; }
inline std::string_view class_name(ClassId id) { return kClasses.at(id).name; }
inline bool class_malignant(ClassId id) { return kClasses.at(id).malignant; }

}  // namespace skinscan
