// libFuzzer harness: the CSV reader and the HAM10000 metadata reader on untrusted text.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "data/csv.h"
#include "data/error.h"
#include "data/metadata.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const skinscan::CsvTable t = skinscan::parse_csv(text, "fuzz.csv");
    (void)skinscan::metadata_from_table(t);
  } catch (const skinscan::DataError&) {
    // a clear error naming the file and line: expected for malformed input
  }
  return 0;
}
