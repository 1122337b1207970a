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

// Lower-case hex SHA-256 of the bytes (OpenSSL).
std::string sha256_hex(const std::string& bytes);
// Throws StoreError unless blob.sha256 is the hash of blob.bytes and media_type is set.
void check_blob(const Blob& blob, const std::string& path);
// check_blob(), and the photo must be the screening's image (same hash).
void check_photo(const NewScreening& s, const Blob& photo, const std::string& path);

// A history search as both backends run it: the case-folded query, and its digits when the
// query looks like a phone number ("+1 (415) 555"; a name such as "Ann 2" is not, so it
// does not match every phone containing a 2), else "".
struct SearchKeys {
  std::string folded, digits;
};
SearchKeys search_keys(const std::string& query);
constexpr int kMaxPageSize = 100;

// A history page request as both backends bind it: page >= 1, page size in 1..kMaxPageSize,
// the search keys, the screening id a reference query names (0: none), the decision filter
// ("" any) and the refer filter (-1 any, 0 no, 1 yes).
struct ListQuery {
  int page = 1, page_size = 20;
  SearchKeys keys;
  std::int64_t ref_id = 0;
  std::string decision;
  std::int64_t refer = -1;
};
ListQuery list_query(const std::string& query, int page, int page_size, const ListFilter& filter);

}  // namespace skinscan::store
