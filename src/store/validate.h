// Checks a NewScreening before anything is written, so bad input gets a clear error that
// names the field (the schema's CHECK constraints are the second line of defence).
#pragma once

#include <string>

#include "store/store.h"

namespace skinscan::store {

// How far outside [0, 1] a probability may be (float rounding) before it is refused;
// create_screening() clamps accepted values into [0, 1].
constexpr double kProbabilitySlack = 1e-4;

// Throws StoreError "store <path>: create screening: invalid <field>: <why>". Never
// includes the offending value (it may be a name or a phone number).
void check_new_screening(const NewScreening& s, notify::Status initial, const std::string& path);

// True for "+" followed by 2..15 digits, the first not 0 (E.164).
bool is_e164(const std::string& phone);

}  // namespace skinscan::store
