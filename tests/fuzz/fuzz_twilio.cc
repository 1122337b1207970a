// libFuzzer harness: Twilio status callbacks -- form decoding, signature check and status
// parsing against a real SQLite store. Input: first line = X-Twilio-Signature, the rest =
// the form body. When the first byte is odd the harness signs the body correctly, so the
// code after the signature check is fuzzed too.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include <httplib.h>

#include "notify/signature.h"
#include "notify/status_callback.h"
#include "store/sqlite_store.h"

namespace {

// Scratch files on tmpfs when there is one: the store fsyncs every commit, which on a disk
// would make fsync, not the code under test, the cost of each input.
std::filesystem::path scratch_root() {
  std::error_code ec;
  if (std::filesystem::is_directory("/dev/shm", ec)) return "/dev/shm";
  return std::filesystem::temp_directory_path();
}

skinscan::store::Store& store() {
  static const std::filesystem::path dir = [] {
    auto d = scratch_root() / ("skinscan-fuzz-twilio-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  static skinscan::store::SqliteStore s((dir / "fuzz.db").string());
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string in(reinterpret_cast<const char*>(data), size);
  const auto nl = in.find('\n');
  std::string sig = nl == std::string::npos ? in : in.substr(0, nl);
  const std::string body = nl == std::string::npos ? "" : in.substr(nl + 1);
  httplib::Params params;
  httplib::detail::parse_query_text(body, params);
  const skinscan::notify::FormParams form(params.begin(), params.end());
  skinscan::notify::TwilioConfig cfg;
  cfg.account_sid = "AC0123456789abcdef0123456789abcdef";
  cfg.auth_token = "fuzz-token";
  cfg.whatsapp_from = "whatsapp:+14155238886";
  const std::string url = "https://clinic.example/twilio/status";
  if (size > 0 && (data[0] & 1))
    sig = skinscan::notify::twilio_signature(cfg.auth_token, url, form);
  const int status = skinscan::notify::handle_status_callback(store(), cfg, url, form, sig);
  if (status != 204 && status != 400 && status != 403 && status != 500) __builtin_trap();
  return 0;
}
