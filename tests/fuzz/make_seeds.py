#!/usr/bin/env python3
"""Writes the seed corpora in corpus/<target>/ (run from this folder).

Seeds are the hand-written golden vectors of the unit tests plus every KINK
datagram of the racoon2 captures (read with tshark, if the shared folder is
beside the repository). Re-running it is idempotent. The decrypted racoon2
plaintexts and Quick Mode chains (racoon2_plaintext_*, racoon2_qm_*) need the
keytabs and come from tests/interop:racoon2_inner_test run with
--test_env=KINK_DUMP_SEEDS_DIR=$PWD/tests/fuzz/corpus.
"""
import glob
import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
RACOON2 = os.path.join(HERE, "..", "..", "..", "shared", "interop", "racoon2")


def h(text):
    return bytes.fromhex("".join(c for c in text if c in "0123456789abcdefABCDEF"))


WIRE = {
    "create_ap_req_encrypt": "0110003800000001 0000002A0100000C 0700000D5F5E1000 6E03020105000000"
                             "0000000CC0C1C2C3 C4C5C6C7 A0A1A2A3A4A5A6A7A8A9AAAB",
    "reply_ackreq_ap_rep_encrypt": "0310003400000001 0000002A0280000C 0700000C5F5E1001 6F020500"
                                   "00000009D0D1D2D3 D4000000 B0B1B2B3B4B5B6B7B8B9BABB",
    "delete_ap_req_encrypt": "0210003400000001 000000070100000C 0700000C5F5E1000 6E020500"
                             "0000000CE0E1E2E3 E4E5E6E7" + "11" * 12,
    "status_ap_req": "0610002800000001 000000090100000C 0000000B5F5E1000 6E010000" + "22" * 12,
    "ack_ap_req": "0510002800000001 0000002A0100000C 0000000C5F5E1002 6E020500" + "33" * 12,
    "gettgt_tgt_req": "0410001F00000001 0000000304000000 0000000F00096B69 6E6B2F6862 4052",
    "reply_tgt_rep": "0310001A00000001 0000000305000000 0000000A61043002 0105",
    "reply_kink_error": "0310001800000001 0000002A08000000 0000000800000001",
    "reply_krb_error": "0310001700000001 0000002B03000000 000000077E0100",
    "reply_krb_error_then_error": "0310002000000001 0000002A03000000 080000077E010000 0000000800000005",
    "reply_bad_qm_version": "0310001800000001 0000002A06000000 0000000800200000",
    "plaintext_isakmp_delete": "06000000 000000180C100000 0000001000000001 030400010A06A3CC",
    "plaintext_kink_error_padded": "08000000 0000000800000006 000000",
}

QM_CREATE = ("0A000034 00000001 00000001 00000028 01030401 01717A37 0000001C 010C0000"
             "80010001 80020E10 80040002 80060100 80050002"
             "05000014 000102030405060708090A0B0C0D0E0F"
             "0500000C 0111038E 0A4D0001"
             "00000010 04000000 0A4D0000 FFFFFF00")
QM = {
    "create_sa_nonce_ids": "01" + QM_CREATE,
    "delete_esp_one_spi": "0C" + "00000010 00000001 03040001 0A06A3CC",
    "notify_invalid_spi": "0B" + "00000010 00000001 0304000B 0A06A3CC",
    "reply_sa_optimistic": "01" + "00000034 00000001 00000001 00000028 01030401 0A06A3CC 0000001C 010C0000"
                                  "80010001 80020E10 80040002 80060100 80050002",
    "sa_two_transforms_3des_aes": "01" + "0000004C 00000001 00000001 00000040 01030402 01717A37"
                                         "03000018 01030000 80010001 80020E10 80040002 80050002"
                                         "0000001C 020C0000 80010001 80020E10 80040002 80060080 80050002",
    "sa_tlv_life_ke_nonce": "01" + "04000028 00000001 00000001 0000001C 01030401 00000001"
                                   "00000010 010C0000 00020004 000186A0"
                                   "0A00000C AAAAAAAAAAAAAAAA"
                                   "0000000C 0102030405060708",
}

# engine_feed_fuzzer scripts: a config octet, then operations (opcodes as in
# engine_feed_harness.h). "pair_*" seeds must end with an SA pair on both
# engines (checked by seed_validity_test).
SETTLE, DELIVER, DROP, MUTATE, RESEAL, REPLAY, RAW, FORGE_CMD, FORGE_REPLY, \
    ADVANCE, TICKET, EXPIRE, ACQUIRE, SET_PEERS, TRAFFIC, SHUTDOWN = range(16)
CREATE, DELETE, STATUS, ACK = range(4)  # kForgeCommand type selectors
QM_DELETE_UNKNOWN = "00000010 00000001 03040001 0A06A3CC"
QM_CREATE_AES128_SHA1 = QM_CREATE.replace("80060100", "80060080")


def forge(to, frm, client, kind, flags, key, content, xid_sel=0xFF, xid=7, epoch_sel=0):
    return bytes([FORGE_CMD, to, frm, client, kind, xid_sel]) + xid.to_bytes(4, "big") + \
        bytes([flags, key, epoch_sel]) + content


def isakmp(next_payload, hex_chain):
    chain = h(hex_chain)
    return bytes([1, next_payload, 0x10, len(chain)]) + chain


ENGINE_FEED = {
    "pair_2way_settle": bytes([0x00, SETTLE]),
    "pair_3way_settle": bytes([0x01, SETTLE]),
    "pair_crossing_creates": bytes([0x04, SETTLE, SETTLE]),
    "pair_user_to_user": bytes([0x20, SETTLE]),
    "pair_pfs_3way": bytes([0x41, SETTLE]),
    "pair_cbc_suites_dpd": bytes([0x0B, SETTLE, ADVANCE, 100, SETTLE]),
    "pair_3way_stepwise": bytes([0x01, TICKET, 0, DELIVER, 0, DELIVER, 0, DELIVER, 0]),
    "pair_rekey_soft_expiry": bytes([0x00, SETTLE, EXPIRE, 0, 0, 0, SETTLE,
                                     ADVANCE, 129, SETTLE]),
    "pair_rekey_bytes": bytes([0x10, SETTLE, TRAFFIC, 0, 0x60, SETTLE, ADVANCE, 129, SETTLE]),
    "pair_hard_expiry_recreate": bytes([0x00, SETTLE, EXPIRE, 1, 0, 3, SETTLE, ADVANCE, 10,
                                        SETTLE]),
    "pair_duplicate_reply_3way": bytes([0x01, TICKET, 0, DELIVER, 0, DELIVER, 0, DROP, 0,
                                        ADVANCE, 20, SETTLE]),
    "pair_forged_create_cbc": bytes([0x03, SETTLE]) + forge(
        1, 0, 0, CREATE, 0, 0x21, isakmp(1, QM_CREATE_AES128_SHA1)),
    "delete_on_peer_removal": bytes([0x01, SETTLE, SET_PEERS, 0, 1, SETTLE, ADVANCE, 144]),
    "dpd_peer_dead": bytes([0x08, SETTLE, ADVANCE, 110, ADVANCE, 110, ADVANCE, 110,
                            ADVANCE, 110, ADVANCE, 110]),
    "no_proposal_chosen": bytes([0x02, SETTLE, ADVANCE, 140, SETTLE]),
    "reseal_create_isakmp": bytes([0x00, TICKET, 0, RESEAL, 0, 2, 0, 16, 0x54, 0, SETTLE]),
    "reseal_reply_isakmp": bytes([0x01, TICKET, 0, DELIVER, 0, RESEAL, 0, 2, 0, 9, 0x22, 0,
                                  SETTLE]),
    "reseal_epoch_reboot": bytes([0x00, SETTLE, SET_PEERS, 1, 6, ADVANCE, 60, RESEAL, 0, 4, 0,
                                  0, 3, 0, SETTLE]),
    "forge_delete_unknown_spi": bytes([0x00, SETTLE]) + forge(
        1, 0, 0, DELETE, 0, 0x22, isakmp(12, QM_DELETE_UNKNOWN)),
    "forge_status_skew": bytes([0x00, SETTLE]) + forge(1, 0, 0, STATUS, 0x01, 0x23, b"\x00"),
    "forge_create_from_stranger": bytes([0x03]) + forge(
        1, 2, 2, CREATE, 0, 0x24, isakmp(1, QM_CREATE_AES128_SHA1)),
    "forge_reply_krb_skew": bytes([0x00, TICKET, 0, FORGE_REPLY, 0, 0, 4, 37, 5, SETTLE]),
    "forge_reply_unauth_tgt": bytes([0x20, FORGE_REPLY, 0, 3, 0, SETTLE]),
    "raw_status_to_responder": bytes([0x00, RAW, 1, 0, len(h(WIRE["status_ap_req"]))]) +
        h(WIRE["status_ap_req"]),
    "traffic_acquire_shutdown": bytes([0x00, ACQUIRE, 0, TRAFFIC, 0, 1, SETTLE, SHUTDOWN, 0,
                                       SETTLE]),
    "mutate_create_header": bytes([0x00, TICKET, 0, MUTATE, 0, 0, 3, 0x40, SETTLE]),
}


def write(target, name, data):
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def racoon2_datagrams():
    for pcap in sorted(glob.glob(os.path.join(RACOON2, "*.pcap"))):
        stem = os.path.basename(pcap)[:-5]
        out = subprocess.run(
            ["tshark", "-r", pcap, "-Y", "udp.port==910", "-T", "fields",
             "-e", "frame.number", "-e", "udp.payload"],
            check=True, capture_output=True, text=True).stdout
        for line in out.splitlines():
            frame, payload = line.split("\t")
            yield f"racoon2_{stem}_f{frame}", bytes.fromhex(payload)


def main():
    for name, text in WIRE.items():
        write("wire_message_fuzzer", name, h(text))
    for name, text in QM.items():
        write("isakmp_qm_fuzzer", name, h(text))
    for name, data in ENGINE_FEED.items():
        write("engine_feed_fuzzer", name, data)
    if os.path.isdir(RACOON2):
        for name, data in racoon2_datagrams():
            write("wire_message_fuzzer", name, data)


if __name__ == "__main__":
    main()
