// The engine's KeyExchange on OpenSSL 3: MODP2048 (IKE group 14, RFC 3526)
// and ECP256 (group 19, RFC 5903).
#ifndef KINK_AGENT_CRYPTO_OPENSSL_KEY_EXCHANGE_H_
#define KINK_AGENT_CRYPTO_OPENSSL_KEY_EXCHANGE_H_

#include <memory>

#include "agent/kink/engine/key_exchange.h"

namespace kink::crypto {

std::unique_ptr<engine::KeyExchange> CreateOpenSslKeyExchange();

// Bit length of a private key from CreateOpenSslKeyExchange (the exponent for
// MODP, the scalar for EC); -1 for other keys. For tests.
int PrivateKeyBitsForTesting(const engine::DhPrivateKey& key);

}  // namespace kink::crypto

#endif  // KINK_AGENT_CRYPTO_OPENSSL_KEY_EXCHANGE_H_
