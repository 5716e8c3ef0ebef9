#include "agent/krb/keymat.h"

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
  SecretBytes seed;  // S, which may contain g^xy
  seed.Append(input.gxy);
  const uint8_t head[5] = {
      input.protocol, static_cast<uint8_t>(input.spi >> 24),
      static_cast<uint8_t>(input.spi >> 16),
      static_cast<uint8_t>(input.spi >> 8), static_cast<uint8_t>(input.spi)};
  seed.Append(head);
  seed.Append(input.ni);
  seed.Append(input.nr);

  SecretBytes keymat;
  SecretBytes block;  // K(n-1)
  SecretBytes message;
  while (keymat.size() < length) {
    message = block;
    message.Append(seed.span());
    auto next = prf(message.span());
    if (!next.ok()) return next.status();
    if (next->empty()) return absl::InternalError("PRF returned no octets");
    block = std::move(*next);
    keymat.Append(block.span());
  }
  keymat.Truncate(length);
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
