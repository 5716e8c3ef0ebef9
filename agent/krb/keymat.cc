#include "agent/krb/keymat.h"

#include <algorithm>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace kink::krb {

absl::StatusOr<SecretBytes> ExpandKeymat(PrfFunction prf,
                                         const KeymatInput& input,
                                         size_t length) {
  if (input.ni.empty()) {
    return absl::InvalidArgumentError("KEYMAT needs the initiator nonce");
  }
  // Largest KEYMAT any ESP/AH transform pair needs is far below this; the
  // bound stops a bad length from spinning the PRF.
  if (length > 1024) {
    return absl::InvalidArgumentError(
        absl::StrCat("KEYMAT length ", length, " exceeds 1024 octets"));
  }
  // S, which may contain g^xy.
  SecretBytes seed(input.gxy.size() + 5 + input.ni.size() + input.nr.size());
  uint8_t* p = seed.data();
  auto put = [&p](std::span<const uint8_t> part) {
    if (!part.empty()) std::memcpy(p, part.data(), part.size());
    p += part.size();
  };
  const uint8_t head[5] = {
      input.protocol, static_cast<uint8_t>(input.spi >> 24),
      static_cast<uint8_t>(input.spi >> 16),
      static_cast<uint8_t>(input.spi >> 8), static_cast<uint8_t>(input.spi)};
  put(input.gxy);
  put(head);
  put(input.ni);
  put(input.nr);

  SecretBytes keymat(length);
  size_t filled = 0;
  SecretBytes block;    // K(n-1)
  SecretBytes message;  // K(n-1) | S, reused
  while (filled < length) {
    std::span<const uint8_t> in = seed.span();
    if (!block.empty()) {
      if (message.size() != block.size() + seed.size()) {
        message = SecretBytes(block.size() + seed.size());
      }
      std::memcpy(message.data(), block.data(), block.size());
      std::memcpy(message.data() + block.size(), seed.data(), seed.size());
      in = message.span();
    }
    auto next = prf(in);
    if (!next.ok()) return next.status();
    if (next->empty()) return absl::InternalError("PRF returned no octets");
    block = std::move(*next);
    const size_t n = std::min(block.size(), length - filled);
    std::memcpy(keymat.data() + filled, block.data(), n);
    filled += n;
  }
  return keymat;
}

absl::StatusOr<SaKeys> SplitKeymat(const SecretBytes& keymat,
                                   size_t encryption_length,
                                   size_t authentication_length) {
  if (keymat.size() < encryption_length + authentication_length) {
    return absl::InvalidArgumentError(
        absl::StrCat("KEYMAT has ", keymat.size(), " octets, need ",
                     encryption_length + authentication_length));
  }
  SaKeys keys;
  keys.encryption = SecretBytes(keymat.span().subspan(0, encryption_length));
  keys.authentication = SecretBytes(
      keymat.span().subspan(encryption_length, authentication_length));
  return keys;
}

}  // namespace kink::krb
