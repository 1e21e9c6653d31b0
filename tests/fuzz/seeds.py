#!/usr/bin/env python3
"""seeds.py - writes the small valid seed files of the fuzz corpora.

Real assets (stories260K.bin 1 MB, stories260K.gguf 1.2 MB) are too large to
mutate quickly, so each weight format gets a tiny but complete model here:
dim 8, hidden 16, 1 layer, 2 heads, 2 KV heads, vocabulary 4, context 4,
deterministic weights. The output is committed under tests/fuzz/corpus/;
rerun after a format change:
    python3 tests/fuzz/seeds.py [OUT_DIR [ASSETS_DIR]]   (default tests/fuzz/corpus)
"""
import json
import os
import struct
import sys

DIM, HID, L, NH, NKV, VOCAB, SEQ = 8, 16, 1, 2, 2, 4, 4
HS = DIM // NH
KV = DIM * NKV // NH


def floats(n, salt):
    return [((i * 37 + salt * 11) % 19 - 9) / 16.0 for i in range(n)]


def f32(xs):
    return struct.pack("<%df" % len(xs), *xs)


def llama2c_v0(shared=True):
    vocab = VOCAB if shared else -VOCAB
    b = struct.pack("<7i", DIM, HID, L, NH, NKV, vocab, SEQ)
    parts = [VOCAB * DIM, L * DIM, L * DIM * DIM, L * DIM * KV, L * DIM * KV, L * DIM * DIM,
             L * DIM, L * HID * DIM, L * DIM * HID, L * HID * DIM, DIM,
             SEQ * HS // 2, SEQ * HS // 2]
    if not shared:
        parts.append(VOCAB * DIM)
    for k, n in enumerate(parts):
        b += f32(floats(n, k))
    return b


def llama2c_v1():
    h = struct.pack("<Ii7iB", 0x616b3432, 1, DIM, HID, L, NH, NKV, VOCAB, SEQ, 1)
    h += b"\0" * (256 - len(h))
    parts = [L * DIM, L * DIM, DIM, VOCAB * DIM, L * DIM * DIM, L * KV * DIM, L * KV * DIM,
             L * DIM * DIM, L * HID * DIM, L * DIM * HID, L * HID * DIM]
    for k, n in enumerate(parts):
        h += f32(floats(n, k))
    return h


def llama2c_v2(gs=8):
    h = struct.pack("<Ii7iBi", 0x616b3432, 2, DIM, HID, L, NH, NKV, VOCAB, SEQ, 1, gs)
    h += b"\0" * (256 - len(h))
    for k, n in enumerate([L * DIM, L * DIM, DIM]):
        h += f32(floats(n, k))
    mats = [VOCAB * DIM] + [DIM * DIM, KV * DIM, KV * DIM, DIM * DIM] * L + \
           [HID * DIM, DIM * HID, HID * DIM] * L
    for k, n in enumerate(mats):
        h += struct.pack("<%db" % n, *[(i * 7 + k) % 255 - 127 for i in range(n)])
        h += f32([0.01 * (1 + j % 3) for j in range(n // gs)])
    return h


TOKENS = [b"<unk>", b"\n<s>\n", b"\n</s>\n", b" a"]


def tokenizer(tokens=TOKENS, maxlen=None):
    maxlen = maxlen or max(len(t) for t in tokens)
    b = struct.pack("<i", maxlen)
    for i, t in enumerate(tokens):
        b += struct.pack("<fi", -float(i), len(t)) + t
    return b


def gstr(s):
    s = s.encode() if isinstance(s, str) else s
    return struct.pack("<Q", len(s)) + s


def gguf():
    kv = []

    def u32(k, v):
        kv.append(gstr(k) + struct.pack("<II", 4, v))

    def fl(k, v):
        kv.append(gstr(k) + struct.pack("<If", 6, v))
    kv.append(gstr("general.architecture") + struct.pack("<I", 8) + gstr("llama"))
    u32("general.alignment", 32)
    u32("llama.embedding_length", DIM)
    u32("llama.feed_forward_length", HID)
    u32("llama.block_count", L)
    u32("llama.attention.head_count", NH)
    u32("llama.attention.head_count_kv", NKV)
    u32("llama.context_length", SEQ)
    u32("llama.rope.dimension_count", HS)
    fl("llama.attention.layer_norm_rms_epsilon", 1e-5)
    fl("llama.rope.freq_base", 10000.0)
    toks = [b"<unk>", b"<s>", b"</s>", b"\xe2\x96\x81a"]
    kv.append(gstr("tokenizer.ggml.model") + struct.pack("<I", 8) + gstr("llama"))
    kv.append(gstr("tokenizer.ggml.tokens") + struct.pack("<IIQ", 9, 8, len(toks)) +
              b"".join(gstr(t) for t in toks))
    kv.append(gstr("tokenizer.ggml.scores") + struct.pack("<IIQ", 9, 6, len(toks)) +
              f32([-float(i) for i in range(len(toks))]))
    kv.append(gstr("tokenizer.ggml.token_type") + struct.pack("<IIQ", 9, 5, len(toks)) +
              struct.pack("<4i", 2, 3, 3, 1))
    u32("tokenizer.ggml.bos_token_id", 1)
    u32("tokenizer.ggml.eos_token_id", 2)
    tensors = [("token_embd.weight", [DIM, VOCAB]), ("blk.0.attn_norm.weight", [DIM]),
               ("blk.0.attn_q.weight", [DIM, DIM]), ("blk.0.attn_k.weight", [DIM, KV]),
               ("blk.0.attn_v.weight", [DIM, KV]), ("blk.0.attn_output.weight", [DIM, DIM]),
               ("blk.0.ffn_norm.weight", [DIM]), ("blk.0.ffn_gate.weight", [DIM, HID]),
               ("blk.0.ffn_down.weight", [HID, DIM]), ("blk.0.ffn_up.weight", [DIM, HID]),
               ("output_norm.weight", [DIM]), ("output.weight", [DIM, VOCAB])]
    infos, data = b"", b""
    for k, (name, ne) in enumerate(tensors):
        n = 1
        for d in ne:
            n *= d
        infos += gstr(name) + struct.pack("<I", len(ne)) + struct.pack("<%dQ" % len(ne), *ne)
        infos += struct.pack("<IQ", 0, len(data))
        data += f32(floats(n, k))
        while len(data) % 32:
            data += b"\0"
    head = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kv)) + b"".join(kv) + infos
    while len(head) % 32:
        head += b"\0"
    return head + data


def safetensors():
    names = [("model.embed_tokens.weight", [VOCAB, DIM]), ("model.norm.weight", [DIM]),
             ("model.layers.0.input_layernorm.weight", [DIM]),
             ("model.layers.0.self_attn.q_proj.weight", [DIM, DIM]),
             ("model.layers.0.self_attn.k_proj.weight", [KV, DIM]),
             ("model.layers.0.self_attn.v_proj.weight", [KV, DIM]),
             ("model.layers.0.self_attn.o_proj.weight", [DIM, DIM]),
             ("model.layers.0.post_attention_layernorm.weight", [DIM]),
             ("model.layers.0.mlp.gate_proj.weight", [HID, DIM]),
             ("model.layers.0.mlp.down_proj.weight", [DIM, HID]),
             ("model.layers.0.mlp.up_proj.weight", [HID, DIM])]
    hdr, data = {"__metadata__": {"format": "pt"}}, b""
    for k, (name, shape) in enumerate(names):
        n = 1
        for d in shape:
            n *= d
        hdr[name] = {"dtype": "F32", "shape": shape, "data_offsets": [len(data), len(data) + 4 * n]}
        data += f32(floats(n, k))
    h = json.dumps(hdr, separators=(",", ":")).encode()
    while len(h) % 8:
        h += b" "
    return struct.pack("<Q", len(h)) + h + data


def safetensors_dtypes():
    hdr = {"a": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]},
           "b": {"dtype": "BF16", "shape": [1, 2], "data_offsets": [4, 8]},
           "c": {"dtype": "I64", "shape": [], "data_offsets": [8, 16]},
           "d": {"dtype": "F32", "shape": [0, 3], "data_offsets": [16, 16]}}
    h = json.dumps(hdr).encode()
    return struct.pack("<Q", len(h)) + h + bytes(range(16))



def tok_framed(vocab, text, tokfile):
    """The tokenizer harness's input: u16 vocab_size, u8 text length, text, tokenizer.bin."""
    return struct.pack("<HB", vocab, len(text)) + text + tokfile


def trace_seeds(assets):
    """The trace harness's input: one byte choosing the time scale, then the CSV."""
    seeds = {"crlf_ties.csv": b"\0TIMESTAMP,ContextTokens,GeneratedTokens\r\n"
                              b"2023-11-16 18:15:46.6805900,374,44\r\n"
                              b"2023-11-16 18:15:46.6805900,1,1\r\n"
                              b"2023-11-16 18:15:50,10000000,2",
             "quoted_bom.csv": b"\1\xef\xbb\xbfTIMESTAMP,ContextTokens,GeneratedTokens\n"
                               b"\"2023-11-16 18:15:46.1\",\"7\",8\n"
                               b"2200-12-31 23:59:59.999999999,1,2\n"}
    for name in ("code", "conv"):
        path = os.path.join(assets, "traces", "AzureLLMInferenceTrace_%s.csv" % name)
        if os.path.exists(path):
            with open(path, "rb") as f:
                seeds["azure_%s_head.csv" % name] = b"\0" + b"".join(f.readlines()[:24])
    return seeds


def dataset_seeds(assets):
    """The datasets harness's input: byte 0 picks the reader (0 churn fits,
    1 churn trace, 2 RTT matrix, 3 cities), then the CSV."""
    seeds = {"churn_trace.csv": b"\1time_s,node,state\n0,a,down\n1.5,a,up\n1.5,c d,down\n",
             "rtt_matrix.csv": b"\2src\\dst,Paris,Berlin\nParis,,12.5\nBerlin,13,\n",
             "cities.csv": b"\3city,Lat,Long,Population\nParis,48.85,2.35,2148000\n"
                           b"\"Berlin\",52.52,13.4,3645000\nNew York,40.71,-74.0,8336000\n"}
    path = os.path.join(assets, "churn", "fta_fitted_availability_params.csv")
    if os.path.exists(path):
        with open(path, "rb") as f:
            seeds["churn_fits_head.csv"] = b"\0" + b"".join(f.readlines()[:13])
    return seeds


JSON_SEEDS = {
    "types.json": b'{"a": [1, -0, 2.5e-3, 1E+2, true, false, null, "x\\u00e9\\ud83d\\ude00"], '
                  b'"b": {"c": {"d": []}}, "e": ""}',
    "numbers.json": b"[0, -1, 9007199254740991, 1.7976931348623157e308, 5e-324, 123456789012]",
    "utf8.json": '{"\u00fc\u00f1\u00ee": "\u2581\U0001f600", "k\\n": "\\t\\"\\/"}'.encode(),
}


def main(out, assets):
    def put(sub, name, data):
        os.makedirs(os.path.join(out, sub), exist_ok=True)
        with open(os.path.join(out, sub, name), "wb") as f:
            f.write(data)
    put("llama2c", "tiny_v0_shared.bin", llama2c_v0(True))
    put("llama2c", "tiny_v0_unshared.bin", llama2c_v0(False))
    put("llama2c", "tiny_v1.bin", llama2c_v1())
    put("llama2c", "tiny_v2.bin", llama2c_v2())
    put("gguf", "tiny.gguf", gguf())
    put("safetensors", "tiny_llama.safetensors", safetensors())
    put("safetensors", "dtypes.safetensors", safetensors_dtypes())
    put("tokenizer", "tiny4.tok", tok_framed(4, b"a a", tokenizer()))
    put("tokenizer", "tiny4_empty_text.tok", tok_framed(4, b"", tokenizer()))
    put("loader", "tiny_v0.bin", llama2c_v0(True))
    put("loader", "tiny_v1.bin", llama2c_v1())
    put("loader", "tiny.gguf", gguf())
    put("loader", "tiny_llama.safetensors", safetensors())
    for name, data in JSON_SEEDS.items():
        put("json", name, data)
    for name, data in dataset_seeds(assets).items():
        put("datasets", name, data)
    for name, data in trace_seeds(assets).items():
        put("trace", name, data)
    tok512 = os.path.join(assets, "stories260K", "tok512.bin")
    if os.path.exists(tok512):
        with open(tok512, "rb") as f:
            put("tokenizer", "tok512.tok", tok_framed(512, b"Once upon a time, \xc3\xa9!", f.read()))


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpus"),
         sys.argv[2] if len(sys.argv) > 2 else os.path.join(here, "..", "..", "..", "shared", "assets"))
