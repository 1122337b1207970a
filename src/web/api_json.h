// JSON shapes of the API (docs/api.md): errors and the screening object.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/store.h"
#include "web/validation.h"

namespace skinscan::web {

// {"error": first, "errors": all}; field is null when empty.
nlohmann::ordered_json error_body(const std::vector<FieldError>& errors);
// The screening object of the contract: id, reference, created_at, patient, doctor, image,
// heatmap_url, result, notifications, overall.
nlohmann::ordered_json screening_json(const store::ScreeningRow& row);
// The seed app's word for a screening's notifications: "Not sent" when there are none (a
// not_a_lesion screening); "Not configured" when every one is not_configured (WhatsApp is
// not set up: nothing failed); "Failed" when any is failed, undelivered or expired (or
// not_configured beside others); "Success" when all are queued, sent, delivered or read;
// otherwise "Pending".
std::string overall_word(const std::vector<store::NotificationRow>& notifications);
// File extension of a stored image format ("jpg", "png", "webp").
std::string image_extension(const std::string& format);

}  // namespace skinscan::web
