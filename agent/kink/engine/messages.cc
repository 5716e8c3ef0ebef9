#include "absl/strings/str_cat.h"
#include "agent/kink/engine/engine_state.h"
#include "agent/kink/isakmp/notify_delete.h"

namespace kink::engine {

absl::StatusOr<std::vector<uint8_t>> BuildProtected(
    wire::MessageType type, uint32_t xid, bool ack_req,
    const wire::Payload& auth, const ProtectedContent& content,
    const SessionCrypto& crypto) {
  wire::Message message;
  message.header.type = type;
  message.header.xid = xid;
  message.header.ack_req = ack_req;
  message.payloads.push_back(auth);
  std::vector<uint8_t> ciphertext;
  if (!content.inner.empty()) {
    wire::EncryptedContent inner;
    for (const wire::Payload& payload : content.inner) {
      inner.payloads.push_back(payload);
    }
    std::vector<uint8_t> plaintext = inner.Encode();
    if (plaintext.empty()) {
      return absl::InternalError("encrypted content does not encode");
    }
    absl::StatusOr<std::vector<uint8_t>> encrypted = crypto.Encrypt(plaintext);
    if (!encrypted.ok()) return encrypted.status();
    ciphertext = *std::move(encrypted);
    message.payloads.push_back(wire::EncryptPayload{ciphertext});
  }
  wire::Result<wire::UnsignedMessage> unsigned_message =
      wire::PrepareForChecksum(message, crypto.checksum_length());
  if (!unsigned_message.ok()) {
    return absl::InternalError(absl::StrCat(
        "message does not encode: ",
        std::string(wire::ToString(unsigned_message.error().code))));
  }
  absl::StatusOr<std::vector<uint8_t>> checksum =
      crypto.MakeChecksum(unsigned_message->covered());
  if (!checksum.ok()) return checksum.status();
  wire::Result<std::vector<uint8_t>> sealed =
      std::move(*unsigned_message).Seal(*checksum);
  if (!sealed.ok()) return absl::InternalError("checksum does not fit");
  return std::move(sealed).value();
}

std::vector<uint8_t> BuildUnprotected(wire::MessageType type, uint32_t xid,
                                      const wire::Payload& payload) {
  wire::Message message;
  message.header.type = type;
  message.header.xid = xid;
  message.payloads.push_back(payload);
  return message.Encode();
}

absl::Status OpenProtected(const wire::Message& message,
                           const SessionCrypto& crypto, OpenedContent& out) {
  std::optional<wire::ChecksumInput> input = message.checksum_input();
  if (!input.has_value()) {
    return absl::UnauthenticatedError("message carries no checksum");
  }
  std::vector<uint8_t> covered;
  covered.reserve(input->size());
  input->AppendTo(&covered);
  if (absl::Status status = crypto.VerifyChecksum(covered, message.checksum);
      !status.ok()) {
    return absl::UnauthenticatedError(
        absl::StrCat("bad checksum: ", status.message()));
  }
  const wire::EncryptPayload* encrypted = message.Find<wire::EncryptPayload>();
  if (encrypted == nullptr) return absl::OkStatus();
  absl::StatusOr<std::vector<uint8_t>> plaintext =
      crypto.Decrypt(encrypted->ciphertext);
  if (!plaintext.ok()) {
    return absl::UnauthenticatedError(absl::StrCat(
        "KINK_ENCRYPT does not decrypt: ", plaintext.status().message()));
  }
  out.plaintext = *std::move(plaintext);
  wire::Result<wire::EncryptedContent> inner =
      wire::ParseEncryptPlaintext(out.plaintext);
  if (!inner.ok()) return wire::ToStatus(inner.error());
  out.inner = std::move(inner).value();
  return absl::OkStatus();
}

void AppendDeletePayloads(const std::vector<xfrm::SaId>& ids,
                          std::deque<std::vector<uint8_t>>& storage,
                          std::vector<isakmp::QmPayload>& out) {
  for (const xfrm::SaId& id : ids) {
    storage.push_back(isakmp::PackSpis({id.spi}));
    isakmp::DeletePayload del;
    del.protocol = id.proto == xfrm::IpsecProtocol::kAh
                       ? wire::isakmp::ProtocolId::kAh
                       : wire::isakmp::ProtocolId::kEsp;
    del.spis = storage.back();
    out.push_back(del);
  }
}

}  // namespace kink::engine
