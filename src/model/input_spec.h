// What a model's input is (model.json "preprocessing"): size, per-plane normalisation,
// plane order and the recipe the numbers come from. Torch-free; THE preprocessing that
// applies it is model/preprocess.h.
#pragma once

#include <array>
#include <string>

namespace skinscan {

// Where an InputSpec's numbers come from (recorded in model.json as "recipe"):
// kSkinScan (trained here), or an imported model's seed recipe (model/keras_import.h).
// recipe_name / recipe_from_name are defined in model/preprocess.cc.
enum class Recipe { kSkinScan, kSeedTrained, kSeedServed };
// kShadesOfGray neutralises the illuminant's colour at the photo's own brightness;
// kShadesOfGrayExposure also brings that brightness to a fixed level (model/preprocess.h).
enum class ColourConstancy { kNone, kShadesOfGray, kShadesOfGrayExposure };
const char* recipe_name(Recipe r);                 // "skinscan", "seed-trained", ...
Recipe recipe_from_name(const std::string& name);  // throws skinscan::Error (invalid_argument)
// "none", "shades-of-gray", "shades-of-gray-exposure"
const char* colour_constancy_name(ColourConstancy c);
// Every ColourConstancy, for the CLI's choices and colour_constancy_from_name.
inline constexpr std::array<ColourConstancy, 3> kColourConstancies = {
    ColourConstancy::kNone, ColourConstancy::kShadesOfGray, ColourConstancy::kShadesOfGrayExposure};
// Throws skinscan::Error (invalid_argument) for an unknown name.
ColourConstancy colour_constancy_from_name(const std::string& name);
// kFill replaces a dermoscope's dark field-of-view border (black corners or ring around the
// lit circle) with the colour of the skin next to it (model/preprocess.h), so the border
// carries no signal; kAsIs leaves the photo as it is. Names: model/field_of_view.cc.
enum class FieldOfView { kAsIs, kFill };
const char* field_of_view_name(FieldOfView f);  // "as-is", "fill"
inline constexpr std::array<FieldOfView, 2> kFieldsOfView = {FieldOfView::kAsIs,
                                                             FieldOfView::kFill};
// Throws skinscan::Error (invalid_argument) for an unknown name.
FieldOfView field_of_view_from_name(const std::string& name);

struct InputSpec {
  int width = 96;
  int height = 72;
  std::array<float, 3> mean = {0.5f, 0.5f, 0.5f};  // of x/255, per input plane
  std::array<float, 3> std = {0.25f, 0.25f, 0.25f};
  bool bgr = false;  // input planes in B,G,R order (the seed app's cv2.imread; model/preprocess.h)
  Recipe recipe = Recipe::kSkinScan;
  ColourConstancy colour = ColourConstancy::kNone;
  FieldOfView field_of_view = FieldOfView::kAsIs;

  bool operator==(const InputSpec&) const = default;
};

}  // namespace skinscan
