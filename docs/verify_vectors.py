#!/usr/bin/env python3
"""An independent check of docs/ledger-format-vectors.json against docs/ledger-format.md.

Written from the specification alone, with the Python 3.11 standard library (hashlib, json).
It decodes every signed request field by field, re-encodes it, rebuilds every entry from its
parts, recomputes entry hashes, chain links, the circle id, the memo commitment, the Merkle
root, the tree head bytes, and verifies the inclusion and consistency proofs with the RFC 9162
algorithms. It also checks that every key entering the circle is a canonical point of large
order, and replays the rules for the kinds present to recompute the balances.

If the `cryptography` package can be imported, it also derives the public keys from their
seeds and verifies every ed25519 signature; otherwise it says that it skipped them.

Run from the repository root:   python3 docs/verify_vectors.py
Print the field table of every request as well:   python3 docs/verify_vectors.py --fields
Print the export lines of the vector ledger:   python3 docs/verify_vectors.py --export
Also run the RFC 9162 proof verifiers over the transparency-dev/merkle test vectors in
tests/fixtures/merkle-vectors:   python3 docs/verify_vectors.py --ct-vectors
"""

import hashlib
import json
import sys
from pathlib import Path

VECTORS = Path(__file__).resolve().parent / "ledger-format-vectors.json"

FORMAT_VERSION = 1
REQUEST_TAG = "commons.ledger.request"
ENTRY_TAG = "commons.ledger.entry"
TREE_HEAD_TAG = "commons.ledger.tree-head"
MEMO_TAG = "commons.ledger.memo"
FIELD_BYTES_MAX = 4096
LIST_ITEMS_MAX = 64
NAME_BYTES_MAX = 200
DECIMALS_MAX = 4
MINOR_UNITS_MAX = 10**15
ZERO32 = bytes(32)

# Times the vector ledger was built with (ledger/tests/format_vectors.rs).
GENESIS_TIME_MS = 1_767_225_600_000

KIND_NAMES = {
    1: "genesis",
    2: "open-account",
    3: "set-limits",
    4: "rotate-key",
    5: "transfer",
    6: "request-payment",
    7: "close-request",
    8: "close-account",
    9: "add-steward",
    10: "remove-steward",
}

checks = 0


def check(condition, what):
    global checks
    if not condition:
        raise SystemExit(f"FAILED: {what}")
    checks += 1


def unhex(text, length=None):
    """Strictly lowercase hex, exactly `length` bytes when given."""
    ok = len(text) % 2 == 0 and all(c in "0123456789abcdef" for c in text)
    if not ok or (length is not None and len(text) != 2 * length):
        raise SystemExit(f"FAILED: not {length or 'some'} bytes of lowercase hex: {text[:40]!r}")
    return bytes.fromhex(text)


def sha256(*parts):
    h = hashlib.sha256()
    for part in parts:
        h.update(part)
    return h.digest()


# ---------------------------------------------------------------------------------------------
# Canonical encoding (spec: "Notation")


class DecodeError(Exception):
    pass


class Reader:
    """Reads the canonical encoding and records each field's bytes for display."""

    def __init__(self, data, tag):
        self.data = data
        self.pos = 0
        self.fields = []  # (name, hex, value text)
        raw = self.take(len(tag) + 1)
        if raw != tag.encode("ascii") + b"\x00":
            raise DecodeError(f"domain tag is not {tag!r}")
        self.note("domain tag", raw, f'"{tag}" + 00')

    def note(self, name, raw, value):
        self.fields.append((name, raw.hex(), value))

    def take(self, count):
        if len(self.data) - self.pos < count:
            raise DecodeError("truncated")
        out = self.data[self.pos : self.pos + count]
        self.pos += count
        return out

    def u8(self, name):
        raw = self.take(1)
        self.note(name, raw, str(raw[0]))
        return raw[0]

    def u16(self, name):
        raw = self.take(2)
        value = int.from_bytes(raw, "big")
        self.note(name, raw, str(value))
        return value

    def u32(self, name):
        raw = self.take(4)
        value = int.from_bytes(raw, "big")
        self.note(name, raw, str(value))
        return value

    def u64(self, name):
        raw = self.take(8)
        value = int.from_bytes(raw, "big")
        self.note(name, raw, str(value))
        return value

    def i64(self, name):
        raw = self.take(8)
        value = int.from_bytes(raw, "big", signed=True)
        self.note(name, raw, str(value))
        return value

    def fixed(self, name, count):
        raw = self.take(count)
        self.note(name, raw, f"{count} bytes")
        return raw

    def text(self, name):
        length = self.u32(f"{name} length")
        if length > FIELD_BYTES_MAX:
            raise DecodeError(f"{name} is {length} bytes, more than {FIELD_BYTES_MAX}")
        raw = self.take(length)
        try:
            value = raw.decode("utf-8", errors="strict")
        except UnicodeDecodeError as error:
            raise DecodeError(f"{name} is not UTF-8") from error
        self.note(name, raw, json.dumps(value, ensure_ascii=False))
        return value

    def list_len(self, name):
        count = self.u32(name)
        if count > LIST_ITEMS_MAX:
            raise DecodeError(f"{name}: {count} items, more than {LIST_ITEMS_MAX}")
        return count

    def account(self, name):
        tag = self.u8(f"{name} account tag")
        if tag != 1:  # 1 = member account; 2 is reserved for clearing accounts
            raise DecodeError(f"unknown account tag {tag}")
        return self.fixed(f"{name} key", 32)

    def option_hash(self, name):
        tag = self.u8(f"{name} option tag")
        if tag == 0:
            return None
        if tag == 1:
            return self.fixed(name, 32)
        raise DecodeError(f"unknown option tag {tag}")

    def finish(self):
        if self.pos != len(self.data):
            raise DecodeError(f"{len(self.data) - self.pos} trailing bytes")


class Writer:
    def __init__(self, tag):
        self.out = bytearray(tag.encode("ascii") + b"\x00")

    def u8(self, v):
        self.out += v.to_bytes(1, "big")

    def u16(self, v):
        self.out += v.to_bytes(2, "big")

    def u32(self, v):
        self.out += v.to_bytes(4, "big")

    def u64(self, v):
        self.out += v.to_bytes(8, "big")

    def i64(self, v):
        self.out += v.to_bytes(8, "big", signed=True)

    def fixed(self, raw):
        self.out += raw

    def text(self, value):
        raw = value.encode("utf-8")
        assert len(raw) <= FIELD_BYTES_MAX
        self.u32(len(raw))
        self.out += raw

    def account(self, key):
        self.u8(1)
        self.fixed(key)

    def option_hash(self, value):
        if value is None:
            self.u8(0)
        else:
            self.u8(1)
            self.fixed(value)

    def bytes(self):
        return bytes(self.out)


def decode_request(data):
    """Decodes a request per the spec; returns (request dict, field table)."""
    r = Reader(data, REQUEST_TAG)
    version = r.u16("version")
    if version != FORMAT_VERSION:
        raise DecodeError(f"unsupported version {version}")
    req = {
        "circle_id": r.fixed("circle_id", 32),
        "author": r.fixed("author key", 32),
        "nonce": r.fixed("nonce", 16),
    }
    kind = r.u8("kind")
    req["kind"] = kind
    if kind == 1:
        req["slug"] = r.text("slug")
        req["name"] = r.text("name")
        req["unit_name"] = r.text("unit_name")
        req["unit_symbol"] = r.text("unit_symbol")
        req["decimals"] = r.u8("decimals")
        req["default_floor_minor"] = r.i64("default_floor_minor")
        req["default_ceiling_minor"] = r.i64("default_ceiling_minor")
        count = r.list_len("steward count")
        req["stewards"] = [r.fixed(f"steward[{i}] key", 32) for i in range(count)]
        req["node_key"] = r.fixed("node_key", 32)
    elif kind in (2, 3):
        req["account"] = r.account("account")
        req["floor_minor"] = r.i64("floor_minor")
        req["ceiling_minor"] = r.i64("ceiling_minor")
    elif kind == 4:
        req["old"] = r.account("old")
        req["new"] = r.fixed("new key", 32)
    elif kind in (5, 6):
        req["payer"] = r.account("payer")
        req["payee"] = r.account("payee")
        req["amount_minor"] = r.i64("amount_minor")
        req["memo_hash"] = r.option_hash("memo_hash")
        if kind == 5:
            cause = r.u8("cause tag")
            if cause == 0:
                req["cause"] = ("direct", None)
            elif cause == 1:
                req["cause"] = ("accepts-request", r.fixed("accepted request entry hash", 32))
            elif cause == 2:
                req["cause"] = ("reverses", r.fixed("reversed entry hash", 32))
            elif cause == 3:
                req["cause"] = ("reference", r.text("reference"))
            else:
                raise DecodeError(f"unknown cause tag {cause}")
    elif kind == 7:
        req["request"] = r.fixed("request entry hash", 32)
    elif kind == 8:
        req["account"] = r.account("account")
    elif kind in (9, 10):
        req["key"] = r.fixed("steward key", 32)
    else:
        raise DecodeError(f"unknown entry kind {kind}")
    r.finish()
    return req, r.fields


def encode_request(req):
    w = Writer(REQUEST_TAG)
    w.u16(FORMAT_VERSION)
    w.fixed(req["circle_id"])
    w.fixed(req["author"])
    w.fixed(req["nonce"])
    kind = req["kind"]
    w.u8(kind)
    if kind == 1:
        for name in ("slug", "name", "unit_name", "unit_symbol"):
            w.text(req[name])
        w.u8(req["decimals"])
        w.i64(req["default_floor_minor"])
        w.i64(req["default_ceiling_minor"])
        w.u32(len(req["stewards"]))
        for key in req["stewards"]:
            w.fixed(key)
        w.fixed(req["node_key"])
    elif kind in (2, 3):
        w.account(req["account"])
        w.i64(req["floor_minor"])
        w.i64(req["ceiling_minor"])
    elif kind == 4:
        w.account(req["old"])
        w.fixed(req["new"])
    elif kind in (5, 6):
        w.account(req["payer"])
        w.account(req["payee"])
        w.i64(req["amount_minor"])
        w.option_hash(req["memo_hash"])
        if kind == 5:
            name, value = req["cause"]
            tag = {"direct": 0, "accepts-request": 1, "reverses": 2, "reference": 3}[name]
            w.u8(tag)
            if tag in (1, 2):
                w.fixed(value)
            elif tag == 3:
                w.text(value)
    elif kind == 7:
        w.fixed(req["request"])
    elif kind == 8:
        w.account(req["account"])
    elif kind in (9, 10):
        w.fixed(req["key"])
    return w.bytes()


def kind_label(req):
    """The "kind" label the vectors file uses (transfers are named by their cause)."""
    if req["kind"] == 5:
        return {"reverses": "reversal", "accepts-request": "accept-request"}.get(
            req["cause"][0], "transfer"
        )
    return KIND_NAMES[req["kind"]]


def entry_bytes(seq, prev_hash, recorded_at_ms, request, signature):
    w = Writer(ENTRY_TAG)
    w.u16(FORMAT_VERSION)
    w.u64(seq)
    w.fixed(prev_hash)
    w.i64(recorded_at_ms)
    w.u32(len(request))
    w.fixed(request)
    w.fixed(signature)
    return w.bytes()


def decode_entry(data):
    r = Reader(data, ENTRY_TAG)
    version = r.u16("version")
    if version != FORMAT_VERSION:
        raise DecodeError(f"unsupported version {version}")
    seq = r.u64("seq")
    prev_hash = r.fixed("prev_hash", 32)
    recorded_at_ms = r.i64("recorded_at_ms")
    length = r.u32("request length")
    request = r.fixed("request", length)
    signature = r.fixed("signature", 64)
    r.finish()
    return seq, prev_hash, recorded_at_ms, request, signature


def tree_head_bytes(circle_id, tree_size, root, timestamp_ms):
    w = Writer(TREE_HEAD_TAG)
    w.u16(FORMAT_VERSION)
    w.fixed(circle_id)
    w.u64(tree_size)
    w.fixed(root)
    w.i64(timestamp_ms)
    return w.bytes()


def memo_hash(salt, text):
    w = Writer(MEMO_TAG)
    w.fixed(salt)
    w.text(text)
    return sha256(w.bytes())


# ---------------------------------------------------------------------------------------------
# RFC 9162 Merkle tree (spec: "Merkle tree")


def leaf_hash(data):
    return sha256(b"\x00", data)


def node_hash(left, right):
    return sha256(b"\x01", left, right)


def split_point(n):
    """The largest power of two strictly smaller than n (n >= 2)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(leaves):
    if len(leaves) == 0:
        return sha256()
    if len(leaves) == 1:
        return leaves[0]
    k = split_point(len(leaves))
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def inclusion_path(index, leaves):
    n = len(leaves)
    if n <= 1:
        return []
    k = split_point(n)
    if index < k:
        return inclusion_path(index, leaves[:k]) + [mth(leaves[k:])]
    return inclusion_path(index - k, leaves[k:]) + [mth(leaves[:k])]


def consistency_path(m, leaves):
    def subproof(m, leaves, complete):
        n = len(leaves)
        if m == n:
            return [] if complete else [mth(leaves)]
        k = split_point(n)
        if m <= k:
            return subproof(m, leaves[:k], complete) + [mth(leaves[k:])]
        return subproof(m - k, leaves[k:], False) + [mth(leaves[:k])]

    return [] if m == len(leaves) else subproof(m, leaves, True)


def verify_inclusion(index, size, leaf, proof, root):
    if index >= size:
        return False
    if len(leaf) != 32 or len(root) != 32 or any(len(p) != 32 for p in proof):
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 == 1 or fn == sn:
            r = node_hash(p, r)
            while fn & 1 == 0 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(size1, size2, proof, root1, root2):
    if size1 == 0 or size2 < size1:
        return False
    if size1 == size2:
        return len(proof) == 0 and root1 == root2
    if len(root1) != 32 or len(root2) != 32 or any(len(p) != 32 for p in proof):
        return False
    path = list(proof)
    if size1 & (size1 - 1) == 0:  # an exact power of two
        path.insert(0, root1)
    if not path:
        return False
    fn, sn = size1 - 1, size2 - 1
    while fn & 1 == 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 == 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn & 1 == 0 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == root1 and sr == root2


# ---------------------------------------------------------------------------------------------
# Key strength (spec: "Keys"): a canonical encoding of a curve point of large order.

P = 2**255 - 19
D = (-121665 * pow(121666, P - 2, P)) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def decompress_canonical(raw):
    """The point (x, y) for a canonical encoding, or None."""
    y = int.from_bytes(raw, "little") & ((1 << 255) - 1)
    sign = raw[31] >> 7
    if y >= P:
        return None
    u = (y * y - 1) % P
    v = (D * y * y + 1) % P
    x2 = u * pow(v, P - 2, P) % P
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    if x == 0 and sign == 1:
        return None
    if x & 1 != sign:
        x = P - x
    return (x, y)


def edwards_add(a, b):
    (x1, y1), (x2, y2) = a, b
    t = D * x1 * x2 * y1 * y2 % P
    x3 = (x1 * y2 + x2 * y1) * pow(1 + t, P - 2, P) % P
    y3 = (y1 * y2 + x1 * x2) * pow(1 - t, P - 2, P) % P
    return (x3, y3)


def is_strong_key(raw):
    point = decompress_canonical(raw)
    if point is None:
        return False
    for _ in range(3):  # multiply by the cofactor 8
        point = edwards_add(point, point)
    return point != (0, 1)


# ---------------------------------------------------------------------------------------------
# A minimal replay of the rules for the kinds present in the vectors (spec: "Rules").


def replay(requests, hashes):
    genesis = requests[0]
    check(genesis["kind"] == 1, "entry 0 is a genesis")
    check(genesis["circle_id"] == ZERO32, "the genesis request names circle 00...00")
    check(genesis["author"] in genesis["stewards"], "the genesis author is a listed steward")
    check(len(set(genesis["stewards"])) == len(genesis["stewards"]) >= 1, "stewards listed once")
    check(genesis["decimals"] <= DECIMALS_MAX, "decimals at most 4")
    for key in genesis["stewards"] + [genesis["node_key"]]:
        check(is_strong_key(key), "a genesis key is a canonical point of large order")
    circle_id = hashes[0]
    stewards = set(genesis["stewards"])
    accounts = {}
    nonces = {(genesis["author"], genesis["nonce"])}
    for seq, req in enumerate(requests[1:], start=1):
        check(req["circle_id"] == circle_id, f"entry {seq} names the circle id")
        check((req["author"], req["nonce"]) not in nonces, f"entry {seq} uses a fresh nonce")
        nonces.add((req["author"], req["nonce"]))
        if req["kind"] == 2:
            check(req["author"] in stewards, f"entry {seq}: a steward opens the account")
            check(req["account"] not in accounts, f"entry {seq}: the account is new")
            check(is_strong_key(req["account"]), f"entry {seq}: the new key is strong")
            floor, ceiling = req["floor_minor"], req["ceiling_minor"]
            check(-MINOR_UNITS_MAX <= floor <= 0 <= ceiling <= MINOR_UNITS_MAX, "valid limits")
            accounts[req["account"]] = [floor, ceiling, 0]
        elif req["kind"] == 5 and req["cause"][0] == "direct":
            payer, payee, amount = req["payer"], req["payee"], req["amount_minor"]
            check(req["author"] == payer, f"entry {seq}: the payer signs the payment")
            check(payer != payee, f"entry {seq}: payer is not payee")
            check(0 < amount <= MINOR_UNITS_MAX, f"entry {seq}: amount in range")
            check(payer in accounts and payee in accounts, f"entry {seq}: both accounts open")
            check(amount <= accounts[payer][2] - accounts[payer][0], f"entry {seq}: floor kept")
            check(amount <= accounts[payee][1] - accounts[payee][2], f"entry {seq}: ceiling kept")
            accounts[payer][2] -= amount
            accounts[payee][2] += amount
        else:
            raise SystemExit(f"this small replay does not cover entry {seq} ({kind_label(req)})")
    check(sum(a[2] for a in accounts.values()) == 0, "balances sum to zero")
    return {key: a[2] for key, a in accounts.items()}


# ---------------------------------------------------------------------------------------------


def export_lines(v, requests):
    """The JSON Lines export of the vector ledger (spec: "The JSON Lines export")."""
    genesis = requests[0]

    def dump(obj):
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))

    lines = [
        dump(
            {
                "type": "header",
                "format": "commons-ledger-export",
                "version": 1,
                "circle_id": v["circle_id"],
                "slug": genesis["slug"],
                "name": genesis["name"],
                "node_key": genesis["node_key"].hex(),
                "steward_keys": sorted(k.hex() for k in genesis["stewards"]),
            }
        )
    ]
    prev = ZERO32.hex()
    for e, req in zip(v["entries"], requests):
        seq, _, recorded_at_ms, _, _ = decode_entry(unhex(e["entry_bytes"]))
        line = {
            "type": "entry",
            "seq": seq,
            "prev_hash": prev,
            "recorded_at_ms": recorded_at_ms,
            "request": e["request"],
            "signature": e["signature"],
            "hash": e["entry_hash"],
        }
        if req.get("memo_hash") is not None:
            line["memo"] = {"salt": v["memo"]["salt"], "text": v["memo"]["text"]}
        lines.append(dump(line))
        prev = e["entry_hash"]
    th = v["tree_head"]
    lines.append(
        dump(
            {
                "type": "tree_head",
                "circle_id": v["circle_id"],
                "tree_size": th["tree_size"],
                "root": th["root"],
                "timestamp_ms": th["timestamp_ms"],
                "signature": th["signature"],
            }
        )
    )
    return lines


def ct_vectors():
    """The proof verifiers against Certificate Transparency's test vectors (base64 hashes)."""
    import base64

    folder = VECTORS.parent.parent / "tests" / "fixtures" / "merkle-vectors"
    b64 = lambda text: base64.b64decode(text or "")
    counts = {}
    for kind in ("inclusion", "consistency"):
        files = sorted(folder.glob(f"{kind}/*/*.json"))
        check(files, f"{kind} vectors found in {folder}")
        accepted = rejected = 0
        for path in files:
            t = json.loads(path.read_text(encoding="utf-8"))
            proof = [b64(p) for p in (t["proof"] or [])]
            if kind == "inclusion":
                ok = verify_inclusion(
                    t["leafIdx"], t["treeSize"], b64(t["leafHash"]), proof, b64(t["root"])
                )
            else:
                ok = verify_consistency(
                    t["size1"], t["size2"], proof, b64(t["root1"]), b64(t["root2"])
                )
            check(ok != t["wantErr"], f"{path}: expected wantErr={t['wantErr']}")
            accepted += ok
            rejected += not ok
        counts[kind] = (accepted, rejected)
    print("transparency-dev/merkle vectors: "
          + "; ".join(f"{k} {a} accepted, {r} rejected as expected" for k, (a, r) in counts.items()))


def main():
    v = json.loads(VECTORS.read_text(encoding="utf-8"))
    show_fields = "--fields" in sys.argv
    keys = {name: unhex(k["public"], 32) for name, k in v["keys"].items()}
    names = {key: name for name, key in keys.items()}

    # 1. Requests: decode every field, re-encode, compare.
    requests = []
    for e in v["entries"]:
        raw = unhex(e["request"])
        try:
            req, fields = decode_request(raw)
        except DecodeError as error:
            raise SystemExit(f"FAILED: request of entry {e['seq']} does not decode: {error}")
        check(encode_request(req) == raw, f"request {e['seq']} re-encodes to the same bytes")
        check(kind_label(req) == e["kind"], f"request {e['seq']} is a {e['kind']}")
        requests.append(req)
        if show_fields:
            print(f"\nrequest of entry {e['seq']} ({e['kind']}), {len(raw)} bytes")
            offset = 0
            for name, hexed, value in fields:
                print(f"  {offset:4d}  {name:32s} {hexed}  = {value}")
                offset += len(hexed) // 2
    print(f"decoded and re-encoded {len(requests)} requests: "
          + ", ".join(f"{e['seq']} {e['kind']}" for e in v["entries"]))

    # 2. Entries: rebuild the bytes from their parts, hash them, follow the chain.
    hashes = []
    prev = ZERO32
    for i, (e, req) in enumerate(zip(v["entries"], requests)):
        stored = unhex(e["entry_bytes"])
        seq, prev_hash, recorded_at_ms, request, signature = decode_entry(stored)
        check(seq == e["seq"] == i, f"entry {i} has sequence number {i}")
        check(prev_hash == prev, f"entry {i} names the previous entry hash")
        check(recorded_at_ms == GENESIS_TIME_MS + 1000 * i, f"entry {i} recorded_at_ms")
        check(request == unhex(e["request"]), f"entry {i} carries its request")
        check(signature == unhex(e["signature"], 64), f"entry {i} carries its signature")
        rebuilt = entry_bytes(i, prev, recorded_at_ms, request, signature)
        check(rebuilt == stored, f"entry {i} bytes rebuilt from their parts")
        h = leaf_hash(rebuilt)
        check(h.hex() == e["entry_hash"], f"entry {i} hash = SHA-256(00 || entry bytes)")
        hashes.append(h)
        prev = h
    circle_id = unhex(v["circle_id"], 32)
    check(hashes[0] == circle_id, "circle id = hash of entry 0")
    for req in requests[1:]:
        check(req["circle_id"] == circle_id, "later requests name the circle id")
    print(f"rebuilt {len(hashes)} entries; hashes and chain links match; circle id "
          f"{circle_id.hex()[:16]}... = hash of entry 0")

    # 3. The memo commitment.
    salt = unhex(v["memo"]["salt"], 16)
    mh = memo_hash(salt, v["memo"]["text"])
    check(mh.hex() == v["memo"]["hash"], "memo hash")
    check(requests[3]["memo_hash"] == mh, "the transfer commits to the memo")
    print(f"memo hash {mh.hex()[:16]}... matches and is the transfer's memo_hash")

    # 4. Merkle tree, tree head, proofs.
    th = v["tree_head"]
    root = mth(hashes)
    check(root.hex() == th["root"], "Merkle root of 4 entries")
    check(th["tree_size"] == len(hashes), "tree size")
    root3 = mth(hashes[:3])
    check(root3.hex() == v["root_of_first_3"], "Merkle root of the first 3 entries")
    head_bytes = tree_head_bytes(circle_id, th["tree_size"], root, th["timestamp_ms"])
    check(head_bytes.hex() == th["signed_bytes"], "tree head bytes")
    incl = [unhex(h, 32) for h in v["inclusion_proof_of_entry_2_in_tree_of_4"]]
    cons = [unhex(h, 32) for h in v["consistency_proof_from_3_to_4"]]
    check(incl == inclusion_path(2, hashes), "inclusion proof = RFC 9162 PATH(2, D[0:4])")
    check(cons == consistency_path(3, hashes), "consistency proof = RFC 9162 PROOF(3, D[0:4])")
    check(verify_inclusion(2, 4, hashes[2], incl, root), "inclusion proof verifies")
    check(verify_consistency(3, 4, cons, root3, root), "consistency proof verifies")
    # Edge cases and tampering must be refused.
    check(not verify_inclusion(2, 4, hashes[1], incl, root), "wrong leaf refused")
    check(not verify_inclusion(4, 4, hashes[2], incl, root), "index = size refused")
    check(not verify_inclusion(2, 4, hashes[2], incl[:1], root), "short proof refused")
    check(not verify_inclusion(2, 4, hashes[2], incl + incl[:1], root), "long proof refused")
    check(not verify_consistency(0, 4, cons, sha256(), root), "size1 = 0 refused")
    check(not verify_consistency(4, 3, cons, root, root3), "size2 < size1 refused")
    check(not verify_consistency(3, 4, cons, root, root3), "swapped roots refused")
    check(not verify_consistency(3, 4, cons[:2], root3, root), "short proof refused")
    check(verify_consistency(4, 4, [], root, root), "equal sizes with an empty proof")
    check(not verify_consistency(4, 4, cons[:1], root, root), "equal sizes with a proof refused")
    # Every inclusion and consistency proof in the 4-entry tree.
    for n in range(1, 5):
        r = mth(hashes[:n])
        for i in range(n):
            check(verify_inclusion(i, n, hashes[i], inclusion_path(i, hashes[:n]), r), "incl")
        for m in range(1, n + 1):
            path = consistency_path(m, hashes[:n])
            check(verify_consistency(m, n, path, mth(hashes[:m]), r), "consistency")
    print(f"Merkle root {root.hex()[:16]}..., root of first 3, tree head bytes, inclusion proof "
          "of entry 2 in 4 and consistency proof 3 -> 4 all match and verify; "
          "tampered and edge-case proofs are refused")

    # 5. Rules for the kinds present, and key strength.
    balances = replay(requests, hashes)
    for name in ("alice", "bob"):
        check(balances[keys[name]] == v["balances_after"][name], f"balance of {name}")
    print("replayed the rules: keys entering the circle are strong, balances "
          + ", ".join(f"{names[k]} {b}" for k, b in balances.items()) + ", sum zero")
    check(not is_strong_key(bytes([1]) + bytes(31)), "the identity point is a weak key")

    # 6. Signatures (needs the `cryptography` package).
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import (
            Ed25519PrivateKey,
            Ed25519PublicKey,
        )
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
    except ImportError:
        print("SKIPPED signature checks: the `cryptography` package is not installed")
    else:
        for name, k in v["keys"].items():
            derived = Ed25519PrivateKey.from_private_bytes(unhex(k["seed"], 32)).public_key()
            raw = derived.public_bytes(Encoding.Raw, PublicFormat.Raw)
            check(raw == keys[name], f"public key of {name} derives from its seed")

        def valid(key, message, signature):
            try:
                Ed25519PublicKey.from_public_bytes(key).verify(signature, message)
                return True
            except InvalidSignature:
                return False

        for e, req in zip(v["entries"], requests):
            sig = unhex(e["signature"], 64)
            check(valid(req["author"], unhex(e["request"]), sig), f"signature of entry {e['seq']}")
            bad = bytearray(unhex(e["request"]))
            bad[-1] ^= 1
            check(not valid(req["author"], bytes(bad), sig), "a changed request fails")
        node_key = requests[0]["node_key"]
        check(valid(node_key, head_bytes, unhex(th["signature"], 64)), "tree head signature")
        print(f"verified {len(requests)} request signatures and the tree head signature "
              "(node key from genesis); public keys derive from the seeds")

    if "--ct-vectors" in sys.argv:
        ct_vectors()

    if "--export" in sys.argv:
        print()
        print("\n".join(export_lines(v, requests)))

    print(f"OK: {checks} checks passed")


if __name__ == "__main__":
    main()
