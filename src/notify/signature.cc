#include "notify/signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>

namespace skinscan::notify {

std::string twilio_signature(const std::string& auth_token, const std::string& url,
                             const FormParams& params) {
  FormParams sorted = params;
  std::sort(sorted.begin(), sorted.end());  // by name, then value (repeated names)
  std::string data = url;
  for (const auto& [name, value] : sorted) {
    data += name;
    data += value;
  }
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha1(), auth_token.data(), static_cast<int>(auth_token.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &mac_len);
  std::string b64(4 * ((mac_len + 2) / 3) + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()), mac, static_cast<int>(mac_len));
  b64.resize(static_cast<std::size_t>(n));
  OPENSSL_cleanse(mac, sizeof mac);
  return b64;
}

bool verify_twilio_signature(const std::string& auth_token, const std::string& url,
                             const FormParams& params, const std::string& header_value) {
  if (auth_token.empty() || header_value.empty()) return false;
  const std::string expected = twilio_signature(auth_token, url, params);
  if (expected.size() != header_value.size()) return false;  // length is public (28 chars)
  return CRYPTO_memcmp(expected.data(), header_value.data(), expected.size()) == 0;
}

}  // namespace skinscan::notify
