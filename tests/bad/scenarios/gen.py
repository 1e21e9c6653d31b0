#!/usr/bin/env python3
"""Regenerate the bad-scenario corpus: NAME.json plus NAME.expected, the exact
one-line error scn_load must give when loaded as tests/bad/scenarios/NAME.json
from the repository root. Expected lines are written from the rules
(PITFALLS.md J01-J26, scenarios/README.md), not copied from the loader; byte
offsets, lines and columns are computed here from the text itself.

Run from anywhere: python3 tests/bad/scenarios/gen.py
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
PREFIX = "tests/bad/scenarios/"

# A minimal valid scenario; most cases change one thing in it.
BASE = (
    '{"version": 1, "seed": 7,\n'
    ' "model": {"synthetic": {"service_time_s": 1}},\n'
    ' "network": {"regions": ["eu", "us"], "rtt_ms": [[0.5, 80], [80, 0.5]]},\n'
    ' "nodes": [{"name": "a", "count": 2, "region": "eu", "uplink_mbps": 100,\n'
    '            "device": {"peak_tflops": 10, "mem_bw_gbps": 100, "memory_gb": 16,\n'
    '                       "compute_eff": 0.5}}],\n'
    ' "workload": {"arrivals": {"poisson": {"rate_per_s": 1}}, "n_requests": 10,\n'
    '              "prompt_tokens": 4, "output_tokens": 4, "client_region": "eu"}}\n'
)

ROOT_KEYS = ("version, name, seed, horizon_s, model, network, nodes, placement, routing, "
             "compression, workload, record, faults, slo, stragglers, batching, churn_trace, client, adversaries, defences")

cases = []  # (name, bytes, expected message without "FILE: ")


def sub(old, new, text=BASE):
    assert text.count(old) == 1, old
    return text.replace(old, new)


def add(name, data, msg):
    if isinstance(data, str):
        data = data.encode("utf-8")
    cases.append((name, data, msg))


def pos_msg(data, pos, msg):
    """'line L, column C (byte B): msg' for byte offset pos in data."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    before = data[:pos]
    line = before.count(b"\n") + 1
    last = before.rfind(b"\n")
    col_bytes = before[last + 1:]
    col = sum(1 for b in col_bytes if (b & 0xC0) != 0x80) + 1
    return f"line {line}, column {col} (byte {pos}): {msg}"


def at(name, data, marker, msg, delta=0):
    """A syntax error at the first occurrence of marker (+delta)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    pos = raw.index(marker.encode("utf-8") if isinstance(marker, str) else marker) + delta
    add(name, raw, pos_msg(raw, pos, msg))


# J01 empty documents
add("j01_empty", b"", "expected a JSON value, got an empty file")
add("j01_whitespace", b" \n\t\n", "expected a JSON value, got only whitespace (4 bytes)")

# J02 encodings
add("j02_binary_garbage", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    pos_msg(b"", 0, "expected UTF-8 text, got an invalid byte 0x89"))
add("j02_utf16le_bom", b"\xff\xfe" + BASE.encode("utf-16-le"),
    pos_msg(b"", 0, "expected UTF-8 JSON text, got a UTF-16LE byte order mark"))
add("j02_utf16be_bom", b"\xfe\xff" + BASE.encode("utf-16-be"),
    pos_msg(b"", 0, "expected UTF-8 JSON text, got a UTF-16BE byte order mark"))
add("j02_utf16be_no_bom", BASE.encode("utf-16-be"),
    pos_msg(b"", 0, "expected UTF-8 JSON text, got a NUL byte (the file looks like UTF-16)"))
add("j02_utf16le_no_bom", BASE.encode("utf-16-le"),
    pos_msg(b"{", 1, "expected UTF-8 JSON text, got a NUL byte (the file looks like UTF-16)"))
add("j02_utf8_bom", b"\xef\xbb\xbf" + BASE.encode(),
    pos_msg(b"", 0, "expected JSON text, got a UTF-8 byte order mark (save the file as UTF-8 "
            "without BOM)"))

# J03 truncation
t = '{"nodes":[{"id":1,'
add("j03_truncated_nodes", t, pos_msg(t, len(t), "expected a string key after ',' (trailing "
                                      "commas are not allowed), got end of input"))
t = '{"1":1,'
add("j03_truncated_member", t, pos_msg(t, len(t), "expected a string key after ',' (trailing "
                                       "commas are not allowed), got end of input"))
t = '{"version": 1, "name": "abc'
add("j03_truncated_string", t, pos_msg(t, t.index('"abc'), "unterminated string (expected a "
                                       "closing '\"')"))

# J04 trailing garbage
add("j04_two_objects", "{} {}", pos_msg("{} {}", 3, "expected end of input after the JSON value, "
                                        "got '{'"))
add("j04_trailing_x", "{}x", pos_msg("{}x", 2, "expected end of input after the JSON value, "
                                     "got 'x'"))
add("j04_nul_then_junk", b"{}\x00junk", pos_msg(b"{}", 2, "expected JSON text, got a NUL byte"))
add("j04_number_then_nul", b"123\x00", pos_msg(b"123", 3, "expected JSON text, got a NUL byte"))
t = BASE + "}"
add("j04_extra_brace", t, pos_msg(t, len(BASE), "expected end of input after the JSON value, "
                                  "got '}'"))

# J05 NUL inside strings
t = sub('"seed": 7', '"name": "a\\u0000b", "seed": 7')
at("j05_escaped_nul", t, "\\u0000", "\\u0000 is not allowed in strings (it would truncate them)")
t = sub('"seed": 7', '"name": "a\x00b", "seed": 7')
at("j05_raw_nul", t, "\x00", "expected JSON text, got a NUL byte")

# J06 nesting
for name, n in (("j06_depth_65", 65), ("j06_depth_1001", 1001)):
    t = "[" * n + "]" * n
    add(name, t, pos_msg(t, 64, "nesting deeper than 64 levels"))
t = "[" * 100000
add("j06_100000_open_brackets", t, pos_msg(t, 64, "nesting deeper than 64 levels"))
t = sub('"seed": 7', '"seed": ' + "[" * 64 + "7" + "]" * 64)
at("j06_depth_65_in_scenario", t, "[" * 64, "nesting deeper than 64 levels", 63)

# J08 duplicate keys
add("j08_duplicate_seed", sub('"seed": 7', '"seed": 1, "seed": 2'),
    "seed: duplicate key (each key may appear once per object)")
add("j08_duplicate_nested", sub('"compute_eff": 0.5', '"compute_eff": 0.5, "compute_eff": 0.6'),
    "nodes[0].device.compute_eff: duplicate key (each key may appear once per object)")
add("j08_duplicate_escaped", sub('"seed": 7', '"seed": 7, "s\\u0065ed": 8'),
    "seed: duplicate key (each key may appear once per object)")

# J09 case variants
add("j09_case_variant", sub('"seed": 7', '"Seed": 1, "seed": 2'),
    'Seed: unknown key "Seed" (did you mean "seed"?)')
add("j09_upper_case", sub('"seed": 7', '"SEED": 7'),
    'SEED: unknown key "SEED" (did you mean "seed"?)')

# J10 unknown keys
add("j10_typo_sede", sub('"seed": 7', '"sede": 7'),
    'sede: unknown key "sede" (did you mean "seed"?)')
add("j10_nested_typo", sub('"memory_gb": 16', '"memroy_gb": 16'),
    'nodes[0].device.memroy_gb: unknown key "memroy_gb" (did you mean "memory_gb"?)')
add("j10_unknown_far", sub('"seed": 7', '"seed": 7, "banana": 1'),
    f'banana: unknown key "banana" (expected one of: {ROOT_KEYS})')
add("j10_unknown_arrivals", sub('{"poisson": {"rate_per_s": 1}}', '{"bursty": {"rate_per_s": 1}}'),
    'workload.arrivals.bursty: unknown key "bursty" (expected one of: poisson, gamma, closed, '
    'trace)')

# J11 wrong types
add("j11_seed_string", sub('"seed": 7', '"seed": "42"'),
    'seed: expected an integer in [0, 9007199254740991], got "42"')
add("j11_nodes_object", sub(BASE[BASE.index('"nodes": ['):BASE.index(',\n "workload"')],
                             '"nodes": {}'),
    "nodes: expected an array of 1 to 100000000 elements, got an object")
add("j11_bandwidth_true", sub('"uplink_mbps": 100', '"uplink_mbps": true'),
    "nodes[0].uplink_mbps: expected a positive number, got true")
add("j11_memory_16GB", sub('"memory_gb": 16', '"memory_gb": "16GB"'),
    'nodes[0].device.memory_gb: expected a positive number, got "16GB"')
add("j11_horizon_null", sub('"seed": 7', '"seed": 7, "horizon_s": null'),
    "horizon_s: expected a positive number, got null")
add("j11_regions_object", sub('"regions": ["eu", "us"]', '"regions": {"eu": 1}'),
    "network.regions: expected an array of 1 to 1024 elements, got an object")
add("j11_top_level_array", "[" + BASE + "]",
    "expected a scenario object at the top level, got an array")

# J12 non-finite by overflow
for name, lit in (("j12_1e999", "1e999"), ("j12_minus_1e999", "-1e999"),
                  ("j12_123e100000", "123e100000")):
    t = sub('"seed": 7', '"seed": 7, "horizon_s": ' + lit)
    at(name, t, lit, f"number {lit} is too large for a double")

# J13 underflow and zero for positive quantities
t = sub('"rate_per_s": 1', '"rate_per_s": 1e-999')
at("j13_rate_1e-999", t, "1e-999", "number 1e-999 is too small for a double (it would read as 0)")
add("j13_rate_zero", sub('"rate_per_s": 1', '"rate_per_s": 0'),
    "workload.arrivals.poisson.rate_per_s: expected a positive number, got 0")
add("j13_rate_above_cap", sub('"rate_per_s": 1', '"rate_per_s": 2e9'),
    "workload.arrivals.poisson.rate_per_s: expected a number in (0, 1000000000], got 2000000000")
add("j13_bandwidth_negative", sub('"uplink_mbps": 100', '"uplink_mbps": -100'),
    "nodes[0].uplink_mbps: expected a positive number, got -100")

# J14 integer fields
NR = "workload.n_requests: expected an integer in [1, 100000000], got "
for name, lit, got in (("j14_n_requests_3e9", "3000000000", "3000000000"),
                       ("j14_n_requests_minus_1", "-1", "-1"),
                       ("j14_n_requests_1_5", "1.5", "1.5"),
                       ("j14_n_requests_minus_0", "-0", "-0")):
    add(name, sub('"n_requests": 10', '"n_requests": ' + lit), NR + got)
add("j14_seed_2p53_plus_1", sub('"seed": 7', '"seed": 9007199254740993'),
    "seed: expected an integer in [0, 9007199254740991], got 9007199254740992 (integers beyond "
    "2^53-1 are not exact)")

# J15 seeds
SEED = "seed: expected an integer in [0, 9007199254740991], got "
add("j15_seed_negative", sub('"seed": 7', '"seed": -5'), SEED + "-5")
add("j15_seed_2p64", sub('"seed": 7', '"seed": 18446744073709551616'),
    SEED + "1.8446744073709552e+19 (integers beyond 2^53-1 are not exact)")
add("j15_seed_float", sub('"seed": 7', '"seed": 4.2'), SEED + "4.2")

# J16 counts
CNT = "nodes[0].count: expected an integer in [1, 100000000], got "
add("j16_count_zero", sub('"count": 2', '"count": 0'), CNT + "0")
add("j16_count_negative", sub('"count": 2', '"count": -5'), CNT + "-5")
add("j16_count_1e9", sub('"count": 2', '"count": 1e9'), CNT + "1000000000")
add("j16_nodes_empty", sub(BASE[BASE.index('"nodes": ['):BASE.index(',\n "workload"')],
                            '"nodes": []'),
    "nodes: expected an array of 1 to 100000000 elements, got 0")
t = sub('"nodes": [{"name": "a", "count": 2,',
        '"nodes": [{"name": "big", "count": 60000000, "device": {"peak_tflops": 1, '
        '"mem_bw_gbps": 1, "memory_gb": 1}},\n           {"name": "a", "count": 60000000,')
add("j16_total_nodes_over_cap", t,
    "nodes[1].count: expected at most 100000000 nodes in all, got 120000000 with this group")
add("j16_n_blocks_zero", sub('{"service_time_s": 1}', '{"n_blocks": 0, "service_time_s": 1}'),
    "model.synthetic.n_blocks: expected an integer in [1, 4096], got 0")

# J17 references
add("j17_unknown_region", sub('"region": "eu"', '"region": "asia"'),
    'nodes[0].region: unknown region "asia" (known: eu, us)')
add("j17_region_typo", sub('"region": "eu"', '"region": "ue"'),
    'nodes[0].region: unknown region "ue" (did you mean "eu"? known: eu, us)')
add("j17_unknown_client_region", sub('"client_region": "eu"', '"client_region": "mars"'),
    'workload.client_region: unknown region "mars" (known: eu, us)')
t = sub('"nodes": [{"name": "a", "count": 2,',
        '"nodes": [{"name": "a-1", "device": {"peak_tflops": 1, "mem_bw_gbps": 1, '
        '"memory_gb": 1}},\n           {"name": "a", "count": 2,')
add("j17_duplicate_node_name_after_expansion", t,
    'nodes[1].name: duplicate node name "a-1" (also produced by nodes[0])')
add("j17_duplicate_region", sub('["eu", "us"]', '["eu", "eu"]'),
    'network.regions[1]: duplicate region name "eu" (also network.regions[0])')
add("j17_rtt_not_square", sub('[80, 0.5]]', '[80, 0.5, 3]]'),
    "network.rtt_ms[1]: expected an array of 2 elements (one per region), got 3")
add("j17_rtt_missing_row", sub('[[0.5, 80], [80, 0.5]]', '[[0.5, 80]]'),
    "network.rtt_ms: expected an array of 2 elements, got 1")
add("j17_rtt_negative", sub('[[0.5, 80]', '[[0.5, -1]'),
    "network.rtt_ms[0][1]: expected a non-negative number, got -1")

# J18 fractions and probabilities
add("j18_transfer_failure_p_1", sub('"rtt_ms": [[0.5, 80], [80, 0.5]]}',
                                   '"rtt_ms": [[0.5, 80], [80, 0.5]], "transfer_failure_p": 1}'),
    "network.transfer_failure_p: expected a probability in [0, 1), got 1")
add("j18_compute_eff_1_5", sub('"compute_eff": 0.5', '"compute_eff": 1.5'),
    "nodes[0].device.compute_eff: expected a number in (0, 1], got 1.5")
add("j18_compute_eff_negative", sub('"compute_eff": 0.5', '"compute_eff": -0.1'),
    "nodes[0].device.compute_eff: expected a positive number, got -0.1")
add("j18_compute_eff_nan_string", sub('"compute_eff": 0.5', '"compute_eff": "NaN"'),
    'nodes[0].device.compute_eff: expected a positive number, got "NaN"')
t = sub('"compute_eff": 0.5', '"compute_eff": NaN')
at("j18_compute_eff_bare_nan", t, "NaN", "expected a JSON value, got 'NaN'")

# J19 times
add("j19_negative_service_time", sub('"service_time_s": 1', '"service_time_s": -1'),
    "model.synthetic.service_time_s: expected a non-negative number, got -1")
add("j19_horizon_beyond_int64_ns", sub('"seed": 7', '"seed": 7, "horizon_s": 1e19'),
    "horizon_s: expected a number in (0, 1000000000], got 1e+19")
add("j19_horizon_zero", sub('"seed": 7', '"seed": 7, "horizon_s": 0'),
    "horizon_s: expected a positive number, got 0")
add("j19_uniform_max_below_min",
    sub('"service_time_s": 1', '"service_time_s": {"uniform": {"min": 5, "max": 3}}'),
    "model.synthetic.service_time_s.uniform.max: expected a number >= min (5), got 3")
add("j19_exponential_mean_zero",
    sub('"service_time_s": 1', '"service_time_s": {"exponential": {"mean": 0}}'),
    "model.synthetic.service_time_s.exponential.mean: expected a positive number, got 0")

# J20 lax numbers (deliberately rejected)
t = sub('"seed": 7', '"seed": 07')
at("j20_leading_zero", t, "07", "numbers must not have leading zeros")
t = sub('"seed": 7', '"seed": -01')
at("j20_minus_leading_zero", t, "-01", "numbers must not have leading zeros")
t = sub('"seed": 7', '"seed": 2.')
at("j20_trailing_dot", t, "2.,", "expected a digit after the decimal point, got ','", 2)
t = sub('"seed": 7', '"seed": .5')
at("j20_leading_dot", t, ".5", "expected a JSON value, got '.'")
t = sub('"seed": 7', '"seed": 2.e3')
at("j20_dot_exponent", t, "2.e3", "expected a digit after the decimal point, got 'e3'", 2)
t = sub('"seed": 7', '"seed": +1')
at("j20_plus_sign", t, "+1", "expected a JSON value, got '+'")

# J21 strings
t = sub('"seed": 7', '"name": "a\nb", "seed": 7')
at("j21_raw_newline", t, "a\nb", "expected a character or an escape inside a string (raw control "
   "characters must be escaped), got control character U+000A", 1)
t = sub('"seed": 7', '"name": "a\\xb", "seed": 7')
at("j21_invalid_escape", t, "\\x", "expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u, got "
   "'xb'", 1)
t = sub('"seed": 7', '"name": "\\ud800", "seed": 7')
at("j21_lone_high_surrogate", t, "\\ud800", "lone high surrogate escape (expected a low "
   "surrogate \\uDC00-\\uDFFF after it)")
t = sub('"seed": 7', '"name": "x\\udc00", "seed": 7')
at("j21_lone_low_surrogate", t, "\\udc00", "lone low surrogate escape (expected a high "
   "surrogate \\uD800-\\uDBFF before it)")
raw = sub('"seed": 7', '"name": "a\u00ffb", "seed": 7').encode("utf-8").replace(b"\xc3\xbf", b"\xff")
add("j21_invalid_utf8", raw, pos_msg(raw, raw.index(b"\xff"),
                                     "expected UTF-8 text, got an invalid byte 0xFF"))
raw = sub('"seed": 7', '"name": "a\u00ffb", "seed": 7').encode("utf-8").replace(
    b"\xc3\xbf", b"\xc0\xaf")
add("j21_overlong_utf8", raw, pos_msg(raw, raw.index(b"\xc0"),
                                      "expected UTF-8 text, got an invalid byte 0xC0"))
add("j21_escaped_control_char", sub('"seed": 7', '"name": "a\\u0001b", "seed": 7'),
    'name: expected text without control characters or invalid UTF-8, got byte 0x01 at offset '
    '1 in "a\\u0001b"')

# J22 length boundaries (63 bytes accepted: see check_scn.c)
n64 = "n" * 64
add("j22_node_name_64_bytes", sub('"name": "a"', f'"name": "{n64}"'),
    'nodes[0].name: expected a string of 1 to 63 bytes, got 64 bytes: "' + "n" * 40 + '..."')
add("j22_node_name_suffix_too_long", sub('"name": "a", "count": 2', f'"name": "{"n" * 62}", '
                                         '"count": 10'),
    'nodes[0].name: expected a name that fits 63 bytes with its "-9" suffix (count 10), got 62 '
    'bytes')
add("j22_empty_node_name", sub('"name": "a"', '"name": ""'),
    'nodes[0].name: expected a string of 1 to 63 bytes, got 0 bytes: ""')
add("j22_region_name_64_bytes", sub('["eu", "us"]', f'["eu", "{n64}"]'),
    'network.regions[1]: expected a string of 1 to 63 bytes, got 64 bytes: "' + "n" * 40 + '..."')

# J23 paths
LL = '{"llama2c": "%s", "tokenizer": "tok512.bin"}'
add("j23_absolute_path", sub('{"synthetic": {"service_time_s": 1}}', LL % "/etc/passwd"),
    'model.llama2c: expected a path relative to the scenario file, got the absolute path '
    '"/etc/passwd"')
add("j23_tilde_path", sub('{"synthetic": {"service_time_s": 1}}', LL % "~/model.bin"),
    "model.llama2c: expected a path relative to the scenario file ('~' is not expanded), got "
    '"~/model.bin"')
add("j23_path_1024_bytes", sub('{"synthetic": {"service_time_s": 1}}', LL % ("p" * 1024)),
    'model.llama2c: expected a string of 1 to 1023 bytes, got 1024 bytes: "' + "p" * 40 + '..."')
t = sub('{"synthetic": {"service_time_s": 1}}', LL % ("p" * 1010))
add("j23_path_too_long_once_joined", t,
    "model.llama2c: expected a path of at most 1023 bytes once joined to the scenario directory,"
    f" got {len(PREFIX) + 1010} bytes")

# J24 keys
add("j24_empty_key", sub('"seed": 7', '"seed": 7, "": 1'),
    '[""]: expected a non-empty key, got ""')
add("j24_proto_key", sub('"seed": 7', '"seed": 7, "__proto__": {}'),
    f'__proto__: unknown key "__proto__" (expected one of: {ROOT_KEYS})')
add("j24_key_256_bytes", sub('"seed": 7', '"seed": 7, "' + "k" * 256 + '": 1'),
    '["' + "k" * 40 + '..."]: expected a key of at most 255 bytes, got 256 bytes')

# J26 versions
add("j26_version_missing", sub('"version": 1, ', ''),
    "version: missing required key (this build reads scenario version 1)")
add("j26_version_newer", sub('"version": 1', '"version": 2'),
    "version: unsupported scenario version 2 (this build reads version 1)")
add("j26_version_string", sub('"version": 1', '"version": "1"'),
    'version: expected the integer 1, got "1"')
add("j26_version_fraction", sub('"version": 1', '"version": 1.5'),
    "version: expected the integer 1, got 1.5")

# Schema: model, distributions, names, enums, missing sections
add("schema_model_two_kinds",
    sub('{"synthetic": {"service_time_s": 1}}',
        '{"preset": "llama-2-7b", "synthetic": {"service_time_s": 1}}'),
    'model: expected exactly one of "preset", "synthetic", "llama2c" or "mnist_cnn", got 2')
add("schema_model_none", sub('{"synthetic": {"service_time_s": 1}}', '{}'),
    'model: expected exactly one of "preset", "synthetic", "llama2c" or "mnist_cnn", got 0')
add("schema_preset_path_traversal", sub('{"synthetic": {"service_time_s": 1}}',
                                        '{"preset": "../../etc/passwd"}'),
    "model.preset: expected a name of letters, digits, '_', '.' and '-' (not starting with '.' "
    "or '-'), got \"../../etc/passwd\"")
add("schema_weights_typo", sub('{"synthetic": {"service_time_s": 1}}',
                               '{"preset": "llama-2-7b", "weights": "fp61"}'),
    'model.weights: expected one of "fp32", "fp16", "int8", "nf4", got "fp61" (did you mean '
    '"fp16"?)')
add("schema_tokenizer_with_preset", sub('{"synthetic": {"service_time_s": 1}}',
                                        '{"preset": "llama-2-7b", "tokenizer": "t.bin"}'),
    'model.tokenizer: unknown key "tokenizer" (expected one of: preset, weights)')
add("schema_llama2c_without_tokenizer", sub('{"synthetic": {"service_time_s": 1}}',
                                            '{"llama2c": "m.bin"}'),
    "model.tokenizer: missing required key (expected a string of 1 to 1023 bytes)")
add("schema_dist_family_typo",
    sub('"service_time_s": 1', '"service_time_s": {"exponental": {"mean": 1}}'),
    'model.synthetic.service_time_s.exponental: unknown key "exponental" (did you mean '
    '"exponential"?)')
add("schema_dist_two_families",
    sub('"service_time_s": 1',
        '"service_time_s": {"exponential": {"mean": 1}, "gamma": {"shape": 1, "scale": 1}}'),
    "model.synthetic.service_time_s: expected exactly one distribution family (exponential, "
    "uniform, lognormal, weibull or gamma), got 2")
add("schema_dist_string", sub('"prompt_tokens": 4', '"prompt_tokens": "4"'),
    'workload.prompt_tokens: expected a number or a distribution object such as '
    '{"exponential": {"mean": 1}}, got "4"')
add("schema_tokens_zero", sub('"output_tokens": 4', '"output_tokens": 0'),
    "workload.output_tokens: expected a number in [1, 1048576], got 0")
add("schema_lognormal_sigma_missing",
    sub('"prompt_tokens": 4', '"prompt_tokens": {"lognormal": {"median": 256}}'),
    "workload.prompt_tokens.lognormal.sigma: missing required key (expected a non-negative "
    "number)")
add("schema_record_level_typo", sub('"client_region": "eu"}', '"client_region": "eu"},\n '
                                    '"record": {"level": "reqests"}'),
    'record.level: expected one of "off", "summary", "requests", "hops", "all", got "reqests" (did you mean '
    '"requests"?)')
add("schema_policy_not_a_name", sub('"seed": 7', '"seed": 7, "routing": {"policy": "my policy"}'),
    "routing.policy: expected a name of letters, digits, '_', '.' and '-' (not starting with '.' "
    "or '-'), got \"my policy\"")
add("routing_settings_not_an_object",
    sub('"seed": 7', '"seed": 7, "routing": {"policy": "fixed", "settings": [1]}'),
    "routing.settings: expected an object, got an array")
add("routing_settings_value_not_a_number",
    sub('"seed": 7', '"seed": 7, "routing": {"policy": "random", "settings": {"alpha": "x"}}'),
    'routing.settings.alpha: expected a finite number, got "x"')
add("routing_view_typo", sub('"seed": 7', '"seed": 7, "routing": {"view": "annonced"}'),
    'routing.view: expected one of "announced", "truth", got "annonced" (did you mean '
    '"announced"?)')
add("routing_announce_period_zero",
    sub('"seed": 7', '"seed": 7, "routing": {"announce_period_s": 0}'),
    "routing.announce_period_s: expected a positive number, got 0")
add("routing_announce_delay_not_below_period",
    sub('"seed": 7', '"seed": 7, "routing": {"announce_period_s": 10, "announce_delay_s": 10}'),
    "routing.announce_delay_s: expected less than routing.announce_period_s (10), got 10")
add("routing_announce_expiry_not_above_delay",
    sub('"seed": 7', '"seed": 7, "routing": {"announce_delay_s": 30, "announce_expiry_s": 30}'),
    "routing.announce_expiry_s: expected more than routing.announce_delay_s (30), got 30")
add("routing_announce_delay_string",
    sub('"seed": 7', '"seed": 7, "routing": {"announce_delay_s": "30s"}'),
    'routing.announce_delay_s: expected a non-negative number, got "30s"')
CODEC_RULE = ("expected a codec spec NAME[:PARAM...] of letters, digits, '_', '.' and '-' "
              "(e.g. \"nf4\", \"lowrank:8\"), got ")
add("schema_codec_trailing_colon",
    sub('"seed": 7', '"seed": 7, "compression": {"activations": "lowrank:"}'),
    "compression.activations: " + CODEC_RULE + "\"lowrank:\"")
add("schema_codec_empty_param",
    sub('"seed": 7', '"seed": 7, "compression": {"weights": "lowrank-sparse::0.1"}'),
    "compression.weights: " + CODEC_RULE + "\"lowrank-sparse::0.1\"")
add("schema_codec_misspelt_key",
    sub('"seed": 7', '"seed": 7, "compression": {"weight": "nf4"}'),
    "compression.weight: unknown key \"weight\" (did you mean \"weights\"?)")
add("schema_missing_workload", BASE[:BASE.index(',\n "workload"')] + "}\n",
    "workload: missing required key (expected an object)")
add("schema_missing_device_field", sub('"mem_bw_gbps": 100, ', ''),
    "nodes[0].device.mem_bw_gbps: missing required key (expected a positive number)")
add("schema_node_not_object", sub('"nodes": [{', '"nodes": [7, {'),
    "nodes[0]: expected a node group object, got 7")


# Faults (scheduled outages)
FB = '"client_region": "eu"}'
add("faults_unknown_node", sub(FB, FB + ',\n "faults": [{"node": "a-7", "down_at_s": 1}]'),
    'faults[0].node: unknown node "a-7" (did you mean "a-0"?)')
add("faults_group_name_not_node_name", sub(FB, FB + ',\n "faults": [{"node": "a", "down_at_s": 1}]'),
    'faults[0].node: unknown node "a" (names are after count expansion, e.g. "a-0")')
add("faults_up_before_down",
    sub(FB, FB + ',\n "faults": [{"node": "a-0", "down_at_s": 5, "up_at_s": 5}]'),
    "faults[0].up_at_s: expected a time after down_at_s (5) and at most 1e9 s, got 5")
add("faults_negative_time", sub(FB, FB + ',\n "faults": [{"node": "a-0", "down_at_s": -1}]'),
    "faults[0].down_at_s: expected a non-negative number, got -1")
add("faults_overlap",
    sub(FB, FB + ',\n "faults": [{"node": "a-1", "down_at_s": 10, "up_at_s": 20},\n'
        '            {"node": "a-0", "down_at_s": 1},\n'
        '            {"node": "a-1", "down_at_s": 15, "up_at_s": 30}]'),
    'faults[2]: outage of node "a-1" overlaps faults[0]')
add("faults_never_back_then_again",
    sub(FB, FB + ',\n "faults": [{"node": "a-1", "down_at_s": 10},\n'
        '            {"node": "a-1", "down_at_s": 15, "up_at_s": 30}]'),
    'faults[1]: outage of node "a-1" overlaps faults[0]')
add("faults_not_objects", sub(FB, FB + ',\n "faults": ["a-0"]'),
    'faults[0]: expected a fault object, got "a-0"')

# Node populations (issue 5): device presets and mixes, region mixes, churn
DEV = '"device": {"peak_tflops": 10, "mem_bw_gbps": 100, "memory_gb": 16,\n                       "compute_eff": 0.5}'
HW_DIR = os.path.join(HERE, "..", "..", "..", "scenarios", "hardware")
HW_KNOWN = ", ".join(sorted(f[:-5] for f in os.listdir(HW_DIR)
                            if f.endswith(".json") and not f.startswith(".")))
add("pop_unknown_device_preset", sub(DEV, '"device": "rtx-9090"'),
    f'nodes[0].device: unknown device preset "rtx-9090" (known: {HW_KNOWN})')
add("pop_device_mix_weight_zero", sub(DEV, '"device": {"rtx-3090": 0.5, "t4": 0}'),
    "nodes[0].device.t4: expected a positive number, got 0")
add("pop_device_mix_weight_negative", sub(DEV, '"device": {"rtx-3090": -1}'),
    "nodes[0].device.rtx-3090: expected a positive number, got -1")
add("pop_device_mix_empty", sub(DEV, '"device": {}'),
    "nodes[0].device: expected a device object (peak_tflops, mem_bw_gbps, memory_gb, ...) or a "
    "non-empty mix of presets, got an empty object")
# One device model (issue 12): per-format factors and overheads on inline
# devices and on presets with overrides ({"preset": NAME, KEY: value})
DEV_KEYS = ("peak_tflops, mem_bw_gbps, memory_gb, compute_eff, bw_eff, format_eff, "
            "overhead_ms, block_overhead_ms, attn_ns_per_head_pos, preset")
EFF = '"compute_eff": 0.5}'
add("dev_format_eff_unknown_format",
    sub(EFF, '"compute_eff": 0.5, "format_eff": {"int4": {"compute": 0.5}}}'),
    'nodes[0].device.format_eff.int4: unknown key "int4" (did you mean "int8"?)')
add("dev_format_eff_bandwidth_zero",
    sub(EFF, '"compute_eff": 0.5, "format_eff": {"nf4": {"bandwidth": 0}}}'),
    "nodes[0].device.format_eff.nf4.bandwidth: expected a positive number, got 0")
add("dev_format_eff_compute_above_2",
    sub(EFF, '"compute_eff": 0.5, "format_eff": {"int8": {"compute": 2.5}}}'),
    "nodes[0].device.format_eff.int8.compute: expected a number in (0, 2], got 2.5")
add("dev_format_eff_not_object", sub(EFF, '"compute_eff": 0.5, "format_eff": 0.5}'),
    "nodes[0].device.format_eff: expected an object, got 0.5")
add("dev_format_eff_key_typo",
    sub(EFF, '"compute_eff": 0.5, "format_eff": {"nf4": {"bandwith": 0.9}}}'),
    'nodes[0].device.format_eff.nf4.bandwith: unknown key "bandwith" (did you mean "bandwidth"?)')
add("dev_block_overhead_negative", sub(EFF, '"compute_eff": 0.5, "block_overhead_ms": -0.1}'),
    "nodes[0].device.block_overhead_ms: expected a non-negative number, got -0.1")
add("dev_block_overhead_too_large", sub(EFF, '"compute_eff": 0.5, "block_overhead_ms": 1e7}'),
    "nodes[0].device.block_overhead_ms: expected a number in [0, 1000000], got 10000000")
add("dev_overhead_string", sub(EFF, '"compute_eff": 0.5, "overhead_ms": "0.1ms"}'),
    'nodes[0].device.overhead_ms: expected a non-negative number, got "0.1ms"')
add("dev_preset_override_unknown_key",
    sub(DEV, '"device": {"preset": "rtx-3090", "uplink_mbps": 10}'),
    f'nodes[0].device.uplink_mbps: unknown key "uplink_mbps" (expected one of: {DEV_KEYS})')
add("dev_preset_override_name_not_string", sub(DEV, '"device": {"preset": 3090}'),
    "nodes[0].device.preset: expected a preset name, got 3090")
add("dev_preset_override_unknown_preset",
    sub(DEV, '"device": {"preset": "rtx-9090", "bw_eff": 0.5}'),
    f'nodes[0].device.preset: unknown device preset "rtx-9090" (known: {HW_KNOWN})')
add("dev_preset_override_bw_eff_above_1", sub(DEV, '"device": {"preset": "t4", "bw_eff": 1.2}'),
    "nodes[0].device.bw_eff: expected a number in (0, 1], got 1.2")
add("pop_region_mix_empty", sub('"region": "eu"', '"region": {}'),
    'nodes[0].region: expected a non-empty mix of regions {"NAME": weight, ...}, got an empty '
    'object')
add("pop_region_mix_unknown", sub('"region": "eu"', '"region": {"eu": 1, "asia": 1}'),
    'nodes[0].region.asia: unknown region "asia" (known: eu, us)')
add("pop_churn_family_typo",
    sub('"uplink_mbps": 100', '"uplink_mbps": 100, "churn": "overnet03", "churn_family": "weibul"'),
    'nodes[0].churn_family: expected one of "weibull", "exponential", "lognormal", "gamma", got '
    '"weibul" (did you mean "weibull"?)')
add("pop_churn_family_without_preset",
    sub('"uplink_mbps": 100', '"uplink_mbps": 100, "churn_family": "gamma"'),
    'nodes[0].churn_family: allowed only with a churn preset name ("churn": "overnet03")')
add("pop_churn_upper_case", sub('"uplink_mbps": 100', '"uplink_mbps": 100, "churn": "Overnet03"'),
    'nodes[0].churn: expected a lower-case churn preset name (e.g. "overnet03"), got "Overnet03"')
add("pop_uplink_uniform_from_zero",
    sub('"uplink_mbps": 100', '"uplink_mbps": {"uniform": {"min": 0, "max": 100}}'),
    "nodes[0].uplink_mbps.uniform.min: expected a positive number (draws of this quantity must be "
    "> 0), got 0")
add("net_rtt_and_regions", sub('"network": {', '"network": {"rtt": "wondernetwork-2018", '),
    'network.rtt: expected either "rtt" (a measured data set) or "regions" with "rtt_ms", got both')

# Workloads (issue 5): gamma, closed loop, traces
ARR = '{"poisson": {"rate_per_s": 1}}'
TRACE_BOTH = 'expected exactly one of "file" (a trace CSV) or "preset" (azure-conv-2023 or azure-code-2023), got '
add("wl_trace_neither_file_nor_preset", sub(ARR, '{"trace": {"time_scale": 2}}'),
    "workload.arrivals.trace: " + TRACE_BOTH + "neither")
add("wl_trace_file_and_preset",
    sub(ARR, '{"trace": {"file": "t.csv", "preset": "azure-conv-2023"}}'),
    "workload.arrivals.trace: " + TRACE_BOTH + "both")
add("wl_trace_time_scale_zero",
    sub(ARR, '{"trace": {"preset": "azure-conv-2023", "time_scale": 0}}'),
    "workload.arrivals.trace.time_scale: expected a positive number, got 0")
add("wl_trace_preset_typo", sub(ARR, '{"trace": {"preset": "azure-conv-2024"}}'),
    'workload.arrivals.trace.preset: expected one of "azure-conv-2023", "azure-code-2023", got '
    '"azure-conv-2024" (did you mean "azure-conv-2023"?)')
add("wl_trace_with_prompt_tokens", sub(ARR, '{"trace": {"preset": "azure-code-2023"}}'),
    "workload.prompt_tokens: not allowed with a trace (token counts come from the trace)")
add("wl_gamma_cv_zero", sub(ARR, '{"gamma": {"rate_per_s": 1, "cv": 0}}'),
    "workload.arrivals.gamma.cv: expected a positive number, got 0")
add("wl_gamma_cv_negative", sub(ARR, '{"gamma": {"rate_per_s": 1, "cv": -2}}'),
    "workload.arrivals.gamma.cv: expected a positive number, got -2")
add("wl_closed_users_zero", sub(ARR, '{"closed": {"users": 0, "think_time_s": 1}}'),
    "workload.arrivals.closed.users: expected an integer in [1, 1000000], got 0")
add("wl_two_arrival_processes",
    sub(ARR, '{"poisson": {"rate_per_s": 1}, "gamma": {"rate_per_s": 1, "cv": 2}}'),
    "workload.arrivals: expected exactly one arrival process (poisson, gamma, closed or trace), "
    "got 2")

# Stragglers, regional outages, batching (issue 5)
add("straggler_slowdown_below_1",
    sub(FB, FB + ',\n "stragglers": [{"node": "a-0", "from_s": 1, "to_s": 2, "slowdown": 0.5}]'),
    "stragglers[0].slowdown: expected a number in [1, 1000000], got 0.5")
add("straggler_to_not_after_from",
    sub(FB, FB + ',\n "stragglers": [{"node": "a-0", "from_s": 5, "to_s": 5, "slowdown": 2}]'),
    "stragglers[0].to_s: expected a time after from_s (5) and at most 1e9 s, got 5")
add("straggler_unknown_node",
    sub(FB, FB + ',\n "stragglers": [{"node": "b-0", "from_s": 1, "to_s": 2, "slowdown": 2}]'),
    'stragglers[0].node: unknown node "b-0" (did you mean "a-0"?)')
add("straggler_overlap",
    sub(FB, FB + ',\n "stragglers": [{"node": "a-0", "from_s": 1, "to_s": 5, "slowdown": 2},\n'
        '                {"node": "a-0", "from_s": 4, "to_s": 6, "slowdown": 3}]'),
    'stragglers[1]: slowdown episode of node "a-0" overlaps stragglers[0]')
add("faults_unknown_region",
    sub(FB, FB + ',\n "faults": [{"region": "asia", "down_at_s": 1}]'),
    'faults[0].region: unknown region "asia" (known: eu, us)')
add("faults_region_in_mix",
    sub(FB, FB + ',\n "faults": [{"region": "us", "down_at_s": 1}]',
        sub('"region": "eu"', '"region": {"eu": 0.5, "us": 0.5}')),
    'faults[0].region: region "us" is in the region mix of nodes[0] (a regional outage needs '
    'nodes with a fixed region)')
add("faults_node_and_region",
    sub(FB, FB + ',\n "faults": [{"node": "a-0", "region": "eu", "down_at_s": 1}]'),
    'faults[0]: expected exactly one of "node" or "region", got both')
add("faults_regional_overlaps_node",
    sub(FB, FB + ',\n "faults": [{"node": "a-1", "down_at_s": 1, "up_at_s": 10},\n'
        '            {"region": "eu", "down_at_s": 5}]'),
    'faults[1]: outage of node "a-1" overlaps faults[0]')
add("batching_priority_typo",
    sub(FB, FB + ',\n "batching": {"max_tokens": 4096, "priority": "prefil"}'),
    'batching.priority: expected one of "decode", "prefill", got "prefil" (did you mean '
    '"prefill"?)')
add("batching_max_tokens_negative", sub(FB, FB + ',\n "batching": {"max_tokens": -1}'),
    "batching.max_tokens: expected an integer in [0, 1000000], got -1")


# The client endpoint and the communication pattern (scenarios/README.md,
# "client" and routing.pattern).
def client(value):
    t = sub('"seed": 7,', '"seed": 7, "routing": {},')
    return sub('"client_region": "eu"}}', '"client_region": "eu"}, "client": ' + value + '}', t)


PRESETS = ("a100-80gb, apple-m2-max, cpu-8core, cpu-laptop, gtx-1080-ti, h100-sxm, "
           "rtx-2080-ti, rtx-3060-12gb, rtx-3090, rtx-4090, rtx-a4000, rtx-a5000, t4")
add("client_device_inline_missing_memory", client('{"device": {"peak_tflops": 1, "mem_bw_gbps": 50}}'),
    "client.device.memory_gb: missing required key (expected a positive number)")
add("client_device_mix", client('{"device": {"rtx-3090": 0.5, "t4": 0.5}}'),
    "client.device: expected a device object or a preset name (a client is one machine, "
    "not a mix), got an object")
add("client_device_unknown_preset", client('{"device": "cpu-9000"}'),
    f'client.device: unknown device preset "cpu-9000" (known: {PRESETS})')
add("client_downlink_string", client('{"downlink_mbps": "fast"}'),
    'client.downlink_mbps: expected a positive number, got "fast"')
add("client_last_mile_negative", client('{"last_mile_ms": -1}'),
    "client.last_mile_ms: expected a non-negative number, got -1")
add("client_not_an_object", client("3"), "client: expected an object, got 3")
add("client_unknown_key", client('{"uplink_mpbs": 10}'),
    'client.uplink_mpbs: unknown key "uplink_mpbs" (did you mean "uplink_mbps"?)')
add("client_uplink_zero", client('{"uplink_mbps": 0}'),
    "client.uplink_mbps: expected a positive number, got 0")
add("routing_pattern_not_a_string", sub('"seed": 7,', '"seed": 7, "routing": {"pattern": 1},'),
    'routing.pattern: expected one of "server-to-server", "client-relayed", got 1')
add("routing_pattern_typo", sub('"seed": 7,', '"seed": 7, "routing": {"pattern": "client-relay"},'),
    'routing.pattern: expected one of "server-to-server", "client-relayed", got "client-relay" '
    '(did you mean "client-relayed"?)')


# "adversaries" and "defences" (issue 15; scenarios/README.md): one error each.
def trust(member):
    return sub('"seed": 7,', '"seed": 7, ' + member + ',')


add("adversaries_fraction_above_1", trust('"adversaries": {"fraction": 1.5}'),
    "adversaries.fraction: expected a number in [0, 1], got 1.5")
add("adversaries_fraction_and_nodes", trust('"adversaries": {"fraction": 0.5, "nodes": ["a-0"]}'),
    'adversaries: expected exactly one of "fraction" and "nodes", got both')
add("adversaries_behaviour_unknown", trust('"adversaries": {"fraction": 0.5, "behaviour": "lie"}'),
    'adversaries.behaviour: expected one of "corrupt", "freeride", "drop", "overclaim", got "lie"')
add("adversaries_unknown_node", trust('"adversaries": {"nodes": ["b-0"]}'),
    'adversaries.nodes[0]: unknown node "b-0" (did you mean "a-0"?)')
# k above a span's replicas is known only after placement: tests/check_trust.c
# (bad_input) and tests/cli/trust.sh check it through sim_check and validate.


def main():
    for f in os.listdir(HERE):
        if f.endswith(".json") or f.endswith(".expected"):
            os.unlink(os.path.join(HERE, f))
    names = set()
    for name, data, msg in cases:
        assert name not in names, name
        names.add(name)
        with open(os.path.join(HERE, name + ".json"), "wb") as fh:
            fh.write(data)
        with open(os.path.join(HERE, name + ".expected"), "w") as fh:
            fh.write(f"{PREFIX}{name}.json: {msg}\n")
    print(f"{len(cases)} cases")


if __name__ == "__main__":
    main()
