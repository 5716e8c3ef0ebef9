// libFuzzer target: KINK message parsing (the datagram entry point) and the
// KINK_ENCRYPT plaintext parser, with the round-trip property: whatever
// parses re-encodes to octets that parse to the same value, and re-encoding
// that value gives the same octets again.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "agent/kink/wire/message.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

void FuzzMessage(absl::Span<const uint8_t> data) {
  kink::wire::Result<kink::wire::Message> m = kink::wire::ParseMessage(data);
  if (!m.ok()) {
    Check(kink::wire::ToWire(m.error().code) != kink::wire::KinkErrorCode::kOk);
    return;
  }
  // Seams used by the Kerberos layer stay inside the message.
  if (std::optional<kink::wire::ChecksumInput> in = m->checksum_input()) {
    Check(in->size() + m->checksum.size() == m->raw.size());
  }
  if (std::optional<kink::wire::ByteRange> r = m->encrypt_ciphertext_range()) {
    Check(r->end() <= m->raw.size() - m->checksum.size());
  }
  std::vector<uint8_t> bytes = m->Encode();
  Check(bytes.size() == m->raw.size());
  kink::wire::Result<kink::wire::Message> again =
      kink::wire::ParseMessage(bytes);
  Check(again.ok());
  Check(*again == *m);
  Check(again->Encode() == bytes);
}

void FuzzPlaintext(absl::Span<const uint8_t> data) {
  kink::wire::Result<kink::wire::EncryptedContent> c =
      kink::wire::ParseEncryptPlaintext(data);
  if (!c.ok()) return;
  std::vector<uint8_t> bytes = c->Encode();
  kink::wire::Result<kink::wire::EncryptedContent> again =
      kink::wire::ParseEncryptPlaintext(bytes);
  Check(again.ok());
  Check(*again == *c);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::Span<const uint8_t> input(data, size);
  FuzzMessage(input);
  FuzzPlaintext(input);
  return 0;
}
