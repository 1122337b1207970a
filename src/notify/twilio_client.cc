#include "notify/twilio_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "data/error.h"

namespace skinscan::notify {
namespace {

constexpr std::size_t kMaxResponseBytes = 1 << 20;  // Twilio answers are a few KB

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Scheme and host of an http(s) URL; throws on anything else (userinfo refused).
std::pair<std::string, std::string> scheme_and_host(const std::string& url) {
  const auto sep = url.find("://");
  if (sep == std::string::npos)
    throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument, "TWILIO_API_BASE is not a URL");
  const std::string scheme = lower(url.substr(0, sep));
  const std::string rest = url.substr(sep + 3);
  const std::string authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.find('@') != std::string::npos || authority.empty()) {
    throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                          "TWILIO_API_BASE must be scheme://host[:port] without user info");
  }
  std::string host;
  if (authority.front() == '[') {
    host = authority.substr(0, authority.find(']') + 1);
  } else {
    host = authority.substr(0, authority.find(':'));
  }
  return {scheme, lower(host)};
}

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* body = static_cast<std::string*>(user);
  if (body->size() + size * n > kMaxResponseBytes) return 0;  // aborts the transfer
  body->append(data, size * n);
  return size * n;
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* retry_after = static_cast<std::optional<std::chrono::seconds>*>(user);
  const std::string line(data, size * n);
  const auto colon = line.find(':');
  if (colon != std::string::npos && lower(line.substr(0, colon)) == "retry-after") {
    std::string v = line.substr(colon + 1);
    const auto b = v.find_first_not_of(" \t");
    const auto e = v.find_last_not_of(" \t\r\n");
    if (b != std::string::npos) v = v.substr(b, e - b + 1);
    // Only the delta-seconds form; an HTTP-date is ignored (backoff still applies).
    if (!v.empty() && v.size() <= 9 && v.find_first_not_of("0123456789") == std::string::npos) {
      *retry_after = std::chrono::seconds(std::stol(v));
    }
  }
  return size * n;
}

std::string escape(CURL* curl, const std::string& s) {
  char* e = curl_easy_escape(curl, s.data(), static_cast<int>(s.size()));
  if (e == nullptr) throw std::bad_alloc();
  std::string out(e);
  curl_free(e);
  return out;
}

// Removes every occurrence of the secret from text bound for logs or the database.
std::string scrub(std::string text, const std::string& secret) {
  if (secret.empty()) return text;
  for (auto p = text.find(secret); p != std::string::npos; p = text.find(secret, p)) {
    text.replace(p, secret.size(), "[redacted]");
  }
  return text;
}

SendResult classify(long http, const std::string& body) {
  SendResult r;
  r.http_status = static_cast<int>(http);
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) j = nlohmann::json::object();
  if (http == 200 || http == 201) {
    if (j.contains("sid") && j["sid"].is_string() && !j["sid"].get<std::string>().empty()) {
      r.kind = SendResult::Kind::kAccepted;
      r.sid = j["sid"].get<std::string>();
      r.status = j.value("status", std::string("queued"));
      return r;
    }
    r.kind = SendResult::Kind::kRetry;
    r.code = "bad_response";
    r.message = "Twilio answered " + std::to_string(http) + " without a message sid";
    return r;
  }
  if (j.contains("code") && j["code"].is_number_integer()) {
    r.code = std::to_string(j["code"].get<long long>());
  } else if (j.contains("code") && j["code"].is_string()) {
    r.code = j["code"].get<std::string>();
  } else {
    r.code = "http_" + std::to_string(http);
  }
  std::string msg = j.contains("message") && j["message"].is_string()
                        ? j["message"].get<std::string>()
                        : "HTTP " + std::to_string(http);
  if (j.contains("more_info") && j["more_info"].is_string()) {
    msg += " (" + j["more_info"].get<std::string>() + ")";
  }
  r.message = "Twilio " + std::to_string(http) + ": " + msg;
  const bool retryable = http == 408 || http == 429 || http >= 500 || http < 200;
  r.kind = retryable ? SendResult::Kind::kRetry : SendResult::Kind::kPermanent;
  return r;
}

}  // namespace

void check_api_base(const std::string& api_base) {
  const auto [scheme, host] = scheme_and_host(api_base);
  if (scheme == "https") return;
  if (scheme == "http" && (host == "127.0.0.1" || host == "localhost" || host == "[::1]")) return;
  throw skinscan::Error(
      skinscan::ErrorCode::kInvalidArgument,
      "TWILIO_API_BASE must use https:// (plain http:// only to 127.0.0.1 or localhost)");
}

FormParams message_form(const TwilioConfig& cfg, const std::string& to_e164,
                        const std::string& body, const std::string& content_variables) {
  FormParams f{{"To", "whatsapp:" + to_e164}, {"From", cfg.from_address()}};
  if (!cfg.content_sid.empty()) {
    f.emplace_back("ContentSid", cfg.content_sid);
    f.emplace_back("ContentVariables", content_variables);
  } else {
    f.emplace_back("Body", body);
  }
  if (const std::string cb = cfg.status_callback_url(); !cb.empty()) {
    f.emplace_back("StatusCallback", cb);
  }
  return f;
}

SendResult post_message(const TwilioConfig& cfg, const FormParams& form,
                        std::chrono::seconds timeout) {
  SendResult r;
  try {
    check_api_base(cfg.api_base);
  } catch (const skinscan::Error& e) {
    r.kind = SendResult::Kind::kPermanent;
    r.code = "config";
    r.message = e.what();
    return r;
  }
  global_init();
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) {
    r.code = "network";
    r.message = "cannot create an HTTP handle";
    return r;
  }
  CURL* h = curl.get();
  const std::string url =
      cfg.api_base + "/2010-04-01/Accounts/" + escape(h, cfg.account_sid) + "/Messages.json";
  std::string fields;
  for (const auto& [name, value] : form) {
    if (!fields.empty()) fields += '&';
    fields += escape(h, name) + "=" + escape(h, value);
  }
  std::string body;
  std::optional<std::chrono::seconds> retry_after;
  char errbuf[CURL_ERROR_SIZE] = {};
  const auto [scheme, host] = scheme_and_host(cfg.api_base);
  const long timeout_ms = static_cast<long>(timeout.count()) * 1000;

  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
  curl_easy_setopt(h, CURLOPT_USERNAME, cfg.account_sid.c_str());
  curl_easy_setopt(h, CURLOPT_PASSWORD, cfg.auth_token.c_str());
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, fields.c_str());
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(fields.size()));
  curl_easy_setopt(h, CURLOPT_USERAGENT, "skinscan-notify/1");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, std::min(timeout_ms, 10000L));
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &retry_after);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  if (scheme == "http") curl_easy_setopt(h, CURLOPT_NOPROXY, "*");  // loopback fake only

  const CURLcode rc = curl_easy_perform(h);
  if (rc != CURLE_OK) {
    r.kind = (rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL)
                 ? SendResult::Kind::kPermanent
                 : SendResult::Kind::kRetry;
    r.code = rc == CURLE_OPERATION_TIMEDOUT ? "timeout" : "network";
    r.message = scrub(std::string(curl_easy_strerror(rc)) + (errbuf[0] ? ": " : "") + errbuf,
                      cfg.auth_token);
    return r;
  }
  long http = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &http);
  r = classify(http, body);
  r.retry_after = retry_after;
  r.message = scrub(r.message, cfg.auth_token);
  r.code = scrub(r.code, cfg.auth_token);
  return r;
}

}  // namespace skinscan::notify
