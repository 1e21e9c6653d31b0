#!/usr/bin/env python3
"""Bad files of every format shardsim reads besides scenarios: llama2.c
checkpoints, tokenizers, GGUF, safetensors, request traces, churn traces,
results databases, sweep files and gate baselines. Each case is a real file
cut or edited from a real asset (shared/assets) or a real database, and the
command that reads it. Writes OUT/<case>/ (the files; a scenario naming them
where one is needed) and OUT/cases.tsv: name, exit status, command (with
{bin} and {db}; run from OUT/<case>), and the text the one-line error must
contain (the file, where, and what was expected).

Usage: gen.py OUT SHARED_DIR SHARDSIM
"""
import json
import os
import shutil
import sqlite3
import struct
import subprocess
import sys

out, shared, binary = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(out, exist_ok=True)
cases = []
assets = os.path.join(shared, "assets")
CKPT = open(os.path.join(assets, "stories260K", "stories260K.bin"), "rb").read()
TOK = open(os.path.join(assets, "stories260K", "tok512.bin"), "rb").read()
GGUF = open(os.path.join(assets, "stories260K", "stories260K.gguf"), "rb").read()
ST = open(os.path.join(assets, "mnist", "mnist_cnn.safetensors"), "rb").read()


def case(name, files, cmd, code, want):
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    for fn, content in files.items():
        p = os.path.join(d, fn)
        if isinstance(content, (dict, list)):
            content = json.dumps(content, indent=1).encode()
        elif isinstance(content, str):
            content = content.encode()
        with open(p, "wb") as f:
            f.write(content)
    cases.append((name, code, cmd, want))


def base():
    return {"version": 1, "seed": 7,
            "model": {"synthetic": {"service_time_s": 1}},
            "network": {"regions": ["eu"], "rtt_ms": [[0.5]]},
            "nodes": [{"name": "a", "count": 2, "region": "eu",
                       "device": {"peak_tflops": 10, "mem_bw_gbps": 100, "memory_gb": 16}}],
            "workload": {"arrivals": {"poisson": {"rate_per_s": 1}}, "n_requests": 3,
                         "prompt_tokens": 4, "output_tokens": 4}}


RUN = "{bin} run s.json --db {db} -q"


def llama_case(name, ckpt, want, tok=TOK, code=65):
    s = base()
    s["model"] = {"llama2c": "m.bin", "tokenizer": "tok.bin"}
    case(name, {"s.json": s, "m.bin": ckpt, "tok.bin": tok}, RUN, code, want)


def hdr(dim=64, hidden=172, layers=5, heads=8, kv=4, vocab=512, seq=512):
    return struct.pack("7i", dim, hidden, layers, heads, kv, vocab, seq)


# ---- llama2.c checkpoints (header: dim, hidden_dim, n_layers, n_heads,
# n_kv_heads, vocab_size, seq_len as int32; then the weights)
W = CKPT[28:]
llama_case("ckpt_empty", b"", 'm.bin: unrecognised model file (0 bytes, empty): expected GGUF')
llama_case("ckpt_header_cut", CKPT[:10], 'm.bin: unrecognised model file (10 bytes): expected GGUF')
llama_case("ckpt_dim_zero", hdr(dim=0) + W, 'v0 header: byte offset 0: dim: expected 1..65536, got 0')
llama_case("ckpt_dim_negative", hdr(dim=-64) + W, 'v0 header: byte offset 0: dim: expected 1..65536, got -64')
llama_case("ckpt_heads_zero", hdr(heads=0) + W, 'v0 header: byte offset 12: n_heads: expected 1..')
llama_case("ckpt_dim_not_multiple_of_heads", hdr(heads=7) + W, 'm.bin: byte offset 0: dim: expected a multiple of n_heads (7), got 64')
llama_case("ckpt_kv_heads_above_heads", hdr(kv=16) + W, 'm.bin: byte offset 16: n_kv_heads: expected a divisor of n_heads (8), got 16')
llama_case("ckpt_layers_zero", hdr(layers=0) + W, 'v0 header: byte offset 8: n_layers: expected 1..4096, got 0')
llama_case("ckpt_layers_huge", hdr(layers=1 << 30) + W, 'v0 header: byte offset 8: n_layers: expected 1..4096, got 1073741824')
llama_case("ckpt_seq_len_zero", hdr(seq=0) + W, 'v0 header: byte offset 24: seq_len: expected 1..')
llama_case("ckpt_vocab_zero", hdr(vocab=0) + W, 'v0 header: byte offset 20: vocab_size: expected 1..16777216')
llama_case("ckpt_hidden_zero", hdr(hidden=0) + W, 'v0 header: byte offset 4: hidden_dim: expected 1..1048576, got 0')
llama_case("ckpt_dim_huge", hdr(dim=1 << 30, heads=1 << 20, kv=1 << 20) + W, 'v0 header: byte offset 0: dim: expected 1..65536, got 1073741824')
llama_case("ckpt_trailing_bytes", CKPT + b"\0" * 12, 'm.bin: byte offset 1056540: expected end of file, got 12 trailing bytes')
llama_case("ckpt_cut_in_weights", CKPT[:len(CKPT) // 2], 'm.bin: byte offset 528270: expected a file size that is a multiple of 4')
llama_case("ckpt_vocab_above_tokenizer", hdr(vocab=1024) + W, 'm.bin: byte offset 1056540: truncated: expected 1187612 bytes')

# ---- tokenizers (int32 max_token_length; per token: float score, int32
# length, the bytes)
def tok_tokens(t):
    i, toks = 4, []
    while i < len(t):
        sc, n = struct.unpack("fi", t[i:i + 8])
        toks.append((i, sc, n))
        i += 8 + n
    return toks


TT = tok_tokens(TOK)
third = TT[2][0]  # offset of token 2
llama_case("tok_empty", CKPT, 'tok.bin: byte offset 0: expected a 4-byte max_token_length, got 0 bytes', tok=b"")
llama_case("tok_max_len_zero", CKPT, 'tok.bin: byte offset 0: max_token_length: expected 1..4096, got 0', tok=struct.pack("i", 0) + TOK[4:])
llama_case("tok_cut_after_two_tokens", CKPT, "tok.bin: byte offset 30: expected 512 tokens (the model's vocab_size), got 2", tok=TOK[:third])
llama_case("tok_negative_length", CKPT, 'tok.bin: byte offset 34: token 2: expected a length in [1, max_token_length=7], got -3',
           tok=TOK[:third + 4] + struct.pack("i", -3) + TOK[third + 8:])
llama_case("tok_length_above_max", CKPT, 'tok.bin: byte offset 34: token 2: expected a length in [1, max_token_length=7], got 99',
           tok=TOK[:third + 4] + struct.pack("i", 99) + TOK[third + 8:])
llama_case("tok_nan_score", CKPT, 'tok.bin: byte offset 30: token 2: expected a finite score, got nan',
           tok=TOK[:third] + struct.pack("f", float("nan")) + TOK[third + 4:])
llama_case("tok_trailing_bytes", CKPT, 'tok.bin: byte offset 6227: expected end of file after 512 tokens, got 3 more bytes', tok=TOK + b"xyz")
nul = TT[3][0] + 8  # first byte of token 3's text
llama_case("tok_nul_in_token", CKPT, 'tok.bin: byte offset 52: token 3: expected no NUL byte inside a token', tok=TOK[:nul] + b"\0" + TOK[nul + 1:])

# ---- GGUF (magic, u32 version, u64 tensors, u64 kv pairs; kv: u64 key
# length, key, u32 type, value)
def gguf_case(name, blob, want):
    llama_case(name, blob, want)


gguf_case("gguf_bad_version", GGUF[:4] + struct.pack("<I", 99) + GGUF[8:], 'm.bin: byte 4: version 99, expected 2 or 3')
gguf_case("gguf_tensor_count_huge", GGUF[:8] + struct.pack("<Q", 1 << 60) + GGUF[16:], 'm.bin: byte 8: n_tensors 1152921504606846976 is above the cap')
gguf_case("gguf_kv_count_huge", GGUF[:16] + struct.pack("<Q", 1 << 60) + GGUF[24:], 'm.bin: byte 16: n_kv 1152921504606846976 is above the cap')
gguf_case("gguf_header_cut", GGUF[:20], 'm.bin: byte 16: n_kv needs 8 bytes, only 4 remain')
gguf_case("gguf_cut_in_half", GGUF[:len(GGUF) // 2], 'runs past the end of the file (data section of 578512 bytes at byte 14176)')
gguf_case("gguf_cut_in_tensor_data", GGUF[:len(GGUF) - 1000], 'tensor "blk.4.ffn_up.weight": data [1126912, +44032) runs past the end of the file')
gguf_case("gguf_key_length_huge", GGUF[:24] + struct.pack("<Q", 1 << 62) + GGUF[32:], 'm.bin: byte 24: metadata key length 4611686018427387904 exceeds the limit')
klen = struct.unpack("<Q", GGUF[24:32])[0]
tpos = 32 + klen
gguf_case("gguf_unknown_value_type",
          GGUF[:tpos] + struct.pack("<I", 99) + GGUF[tpos + 4:], 'm.bin: byte 53: key "tokenizer.ggml.tokens": unknown value type 99')

# ---- safetensors (u64 header length, JSON header, data), read through
# the MNIST CNN scenario
def st_case(name, blob, want):
    s = json.load(open(os.path.join(os.path.dirname(__file__), "..", "..", "..",
                                    "scenarios", "mnist.json")))
    s["model"] = {"mnist_cnn": "cnn.safetensors"}
    case(name, {"s.json": s, "cnn.safetensors": blob}, RUN, 65, want)


hl = struct.unpack("<Q", ST[:8])[0]
H = json.loads(ST[8:8 + hl])
DATA = ST[8 + hl:]


def st_with(header, data=None):
    h = json.dumps(header, separators=(",", ":")).encode()
    return struct.pack("<Q", len(h)) + h + (DATA if data is None else data)


st_case("st_header_length_huge", struct.pack("<Q", 1 << 62) + ST[8:], 'as safetensors: byte offset 0: header length: expected 2..100000000, got 4611686018427387904')
st_case("st_header_length_zero", struct.pack("<Q", 0) + ST[8:], 'as safetensors: byte offset 0: header length: expected 2..100000000, got 0')
st_case("st_header_not_json", struct.pack("<Q", hl) + b"{" * hl + DATA, 'cnn.safetensors: byte 10: header is not valid JSON')
st_case("st_header_not_object", st_with([1, 2, 3]), 'cnn.safetensors: unrecognised model file (1507783 bytes)')
h = json.loads(json.dumps(H)); h["conv1.bias"]["dtype"] = "F13"
st_case("st_unknown_dtype", st_with(h), 'cnn.safetensors: tensor "conv1.bias".dtype: unknown dtype "F13"')
h = json.loads(json.dumps(H)); h["conv1.bias"]["data_offsets"] = [16, 10 ** 9]
st_case("st_offsets_beyond_file", st_with(h), 'tensor "conv1.bias": data_offsets span 999999984 bytes, but dtype F32 x shape needs 32')
h = json.loads(json.dumps(H)); h["conv1.bias"]["data_offsets"] = [48, 16]
st_case("st_offsets_reversed", st_with(h), 'tensor "conv1.bias".data_offsets: end 16 < begin 48')
h = json.loads(json.dumps(H)); h["conv1.bias"]["shape"] = [9]
st_case("st_shape_disagrees_with_offsets", st_with(h), 'tensor "conv1.bias": data_offsets span 32 bytes, but dtype F32 x shape needs 36')
st_case("st_data_cut", st_with(H, DATA[:len(DATA) // 2]), 'tensor "fc1.weight": data_offsets end 1505904 lies beyond the 753884-byte data buffer')
h = json.loads(json.dumps(H)); h["conv1.weightz"] = h.pop("conv1.weight")
st_case("st_tensor_missing", st_with(h), 'tensor "conv1.weightz": not part of the MNIST CNN')

# ---- request traces (Azure: TIMESTAMP,ContextTokens,GeneratedTokens)
def trace_case(name, text, want):
    s = base()
    del s["workload"]["prompt_tokens"], s["workload"]["output_tokens"], s["workload"]["n_requests"]
    s["workload"]["arrivals"] = {"trace": {"file": "t.csv"}}
    case(name, {"s.json": s, "t.csv": text}, RUN, 65, want)


TH = "TIMESTAMP,ContextTokens,GeneratedTokens\n"
T0 = "2023-11-16 18:15:46.6805900,374,44\n"
trace_case("trace_empty", "", 't.csv: expected a CSV header, got an empty file')
trace_case("trace_header_only", TH, 't.csv: line 2: no requests after the header')
trace_case("trace_wrong_header", "time,in,out\n" + T0, 't.csv: line 1: expected header column 1 "TIMESTAMP", got "time"')
trace_case("trace_negative_tokens", TH + "2023-11-16 18:15:46.6805900,-5,44\n", 't.csv: line 2: ContextTokens: expected an integer in [1, 10000000], got -5')
trace_case("trace_bad_timestamp", TH + "yesterday,374,44\n", 't.csv: line 2: TIMESTAMP: expected YYYY-MM-DD HH:MM:SS[.fraction]')
trace_case("trace_too_few_fields", TH + "2023-11-16 18:15:46.6805900,374\n", 't.csv: line 2: expected 3 fields, got 2')
trace_case("trace_too_many_fields", TH + T0.strip() + ",9\n", 't.csv: line 2: expected 3 fields, got 4')
trace_case("trace_tokens_above_cap", TH + "2023-11-16 18:15:46.6805900,99999999999,44\n", 't.csv: line 2: ContextTokens: expected an integer in [1, 10000000], got 99999999999')
trace_case("trace_time_goes_back", TH + T0 + "2023-11-16 18:15:40.0000000,374,44\n", 't.csv: line 3: TIMESTAMP 2023-11-16 18:15:40.0000000 is earlier than the previous')
trace_case("trace_nul_byte", TH + "2023-11-16 18:15:46.68\x0005900,374,44\n", 't.csv: line 2: NUL byte at column 23')

# ---- churn traces (time_s,node,state)
def churn_case(name, text, want):
    s = base()
    s["churn_trace"] = "c.csv"
    case(name, {"s.json": s, "c.csv": text}, RUN, 65, want)


churn_case("churn_wrong_header", "t,node,state\n1,a-0,down\n", 'churn_trace: c.csv: line 1: expected header column 1 "time_s", got "t"')
churn_case("churn_unknown_node", "time_s,node,state\n1,zz-9,down\n", 'churn_trace: c.csv: line 2: unknown node "zz-9"')
churn_case("churn_bad_state", "time_s,node,state\n1,a-0,sideways\n", 'churn_trace: c.csv: line 2: state: expected "up" or "down", got "sideways"')
churn_case("churn_time_goes_back", "time_s,node,state\n5,a-0,down\n1,a-0,up\n", 'churn_trace: c.csv: line 3: time_s 1 is earlier than the previous')
churn_case("churn_negative_time", "time_s,node,state\n-1,a-0,down\n", 'churn_trace: c.csv: line 2: time_s: expected a number in [0, 9.2e+09], got -1')

# ---- results databases (report reads, run writes: neither may change them)
good = os.path.join(out, "_good.db")
subprocess.run([binary, "run", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                "..", "..", "scenarios", "default.json"), "--db", good, "-q",
                "--set", "workload.n_requests=3"], check=True)
GOOD = open(good, "rb").read()


def db_case(name, blob, code, want, edit=None, run=False):
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    p = os.path.join(d, "r.db")
    with open(p, "wb") as f:
        f.write(blob)
    if edit:
        c = sqlite3.connect(p)
        c.executescript(edit)
        c.close()
    cmd = "{bin} report r.db" if not run else \
        "{bin} run s.json --db r.db -q"
    if run:
        with open(os.path.join(d, "s.json"), "w") as f:
            json.dump(base(), f)
    cases.append((name, code, cmd, want))


db_case("db_text_file", b"hello\n", 74, "r.db: not a results database")
db_case("db_garbage", bytes((i * 97 + 5) % 256 for i in range(4096)), 74, "r.db: not a results database")
db_case("db_foreign_sqlite", b"", 74, "not a shardsim results database",
        edit="CREATE TABLE t(x); INSERT INTO t VALUES (1);")
db_case("db_newer_schema", GOOD, 65, "newer than this shardsim supports",
        edit="PRAGMA user_version = 99; INSERT INTO schema_version VALUES (99, 'future');")
db_case("db_dropped_table", GOOD, 74, 'table "requests" of schema v', edit="DROP TABLE requests;")
db_case("db_dropped_table_run", GOOD, 74, 'table "metrics" of schema v', edit="DROP TABLE metrics;",
        run=True)
db_case("db_version_disagrees", GOOD, 74, "inconsistent: user_version",
        edit="PRAGMA user_version = 1;")
db_case("db_cut_in_half", GOOD[:len(GOOD) // 2 // 4096 * 4096 + 100], 74, "r.db")
db_case("db_text_file_run", b"hello\n", 74, "refusing to overwrite it", run=True)

# ---- sweep files (sweep --list reads them)
def sweep_case(name, sw, want, code=65):
    case(name, {"sw.json": sw, "base.json": base()}, "{bin} sweep --list sw.json", code, want)


SW = {"version": 1, "name": "s", "base": "base.json",
      "grid": {"workload.n_requests": [1, 2]}, "seeds": 2}
sweep_case("sweep_not_json", "{\"version\": 1,", "sw.json")
sweep_case("sweep_unknown_axis", dict(SW, grid={"workload.n_requestz": [1]}),
           'axis path "workload.n_requestz" does not exist')
sweep_case("sweep_empty_axis", dict(SW, grid={"workload.n_requests": []}), "empty axis")
sweep_case("sweep_zip_lengths", {"version": 1, "name": "s", "base": "base.json",
                                 "zip": {"workload.n_requests": [1, 2], "seed": [1]},
                                 "seeds": 1}, "zip axes must have equal lengths")
sweep_case("sweep_seeds_zero", dict(SW, seeds=0), "sw.json: seeds")
sweep_case("sweep_duplicate_seeds", dict(SW, seeds=[1, 1]), "expected distinct seeds")
sweep_case("sweep_base_missing", dict(SW, base="nope.json"), "sw.json: base: nope.json: cannot open", code=66)
sweep_case("sweep_version_2", dict(SW, version=2), "sw.json: version")
sweep_case("sweep_unknown_key", dict(SW, gird={}), "sw.json: gird")

# ---- gate baselines (check reads them)
def baseline_case(name, text, want):
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    shutil.copy(good, os.path.join(d, "r.db"))
    with open(os.path.join(d, "b.json"), "w") as f:
        f.write(text if isinstance(text, str) else json.dumps(text))
    cases.append((name, 65, "{bin} check r.db --baseline b.json", want))


r = subprocess.run([binary, "baseline", good, "--out", os.path.join(out, "_b.json")], check=True)
B = json.load(open(os.path.join(out, "_b.json")))
baseline_case("baseline_not_json", "{", "b.json")
baseline_case("baseline_empty_object", {}, "b.json")
def with_metric_renamed(b):
    b = json.loads(json.dumps(b))
    m = b["metrics"]
    if isinstance(m, dict):
        k = sorted(m)[0]
        m["no_such_metric"] = m.pop(k)
    else:
        m[0]["name"] = "no_such_metric"
    return b
baseline_case("baseline_unknown_metric", with_metric_renamed(B), "no_such_metric")

with open(os.path.join(out, "cases.tsv"), "w") as f:
    for name, code, cmd, want in cases:
        f.write(f"{name}\t{code}\t{cmd}\t{want}\n")
print(len(cases))
