#!/usr/bin/env python3
"""Scenarios that load (scn_load accepts them) but that `run` must reject
before simulating, each with one broken thing only the simulator's checks
(sim_check) can see: registry names, presets, measured-RTT cities, node
memory for the placed spans, trace and weights files. Writes OUT/NAME.json,
the data files they name, and OUT/cases.txt ("NAME|text the error line must
contain"). Weights cases are cut from shared/assets/stories260K.

Usage: gen.py OUT SHARED_DIR
"""
import json
import os
import shutil
import sys

out, shared = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
cases = []


def base():
    """A minimal valid scenario (as tests/bad/scenarios/gen.py's BASE)."""
    return {"version": 1, "seed": 7,
            "model": {"synthetic": {"service_time_s": 1}},
            "network": {"regions": ["eu", "us"], "rtt_ms": [[0.5, 80], [80, 0.5]]},
            "nodes": [{"name": "a", "count": 2, "region": "eu", "uplink_mbps": 100,
                       "device": {"peak_tflops": 10, "mem_bw_gbps": 100, "memory_gb": 16,
                                  "compute_eff": 0.5}}],
            "workload": {"arrivals": {"poisson": {"rate_per_s": 1}}, "n_requests": 10,
                         "prompt_tokens": 4, "output_tokens": 4, "client_region": "eu"}}


def add(name, s, want):
    with open(os.path.join(out, name + ".json"), "w") as f:
        json.dump(s, f, indent=1)
    cases.append((name, want))


def data(name, content):
    with open(os.path.join(out, name), "wb") as f:
        f.write(content)


def llama(ckpt, tok):
    s = base()
    s["model"] = {"llama2c": ckpt, "tokenizer": tok}
    return s


def trace(path):
    s = base()
    del s["workload"]["prompt_tokens"], s["workload"]["output_tokens"]
    s["workload"]["arrivals"] = {"trace": {"file": path}}
    return s


st = os.path.join(shared, "assets", "stories260K")
weights = open(os.path.join(st, "stories260K.bin"), "rb").read()
shutil.copy(os.path.join(st, "tok512.bin"), os.path.join(out, "tok512.bin"))
data("stories260K.bin", weights)
data("truncated.bin", weights[:1000])
data("garbage.bin", bytes((i * 131 + 7) % 256 for i in range(4096)))
data("garbage_tok.bin", b"\xff\xff\xff\x7f" + b"\x01" * 60)  # max_token_length 2^31-1
data("broken_trace.csv", b"TIMESTAMP,ContextTokens\nnot a time,abc\n")

s = base(); s["routing"] = {"policy": "nope"}
add("unknown_routing_policy", s, 'routing.policy: unknown routing policy "nope"')
s = base(); s["routing"] = {"policy": "fixed", "settings": {"alpha": 2}}
add("routing_setting_unknown", s,
    'routing.settings.alpha: unknown setting of routing policy "fixed" (it takes none)')
s = base(); s["routing"] = {"policy": "swarm", "settings": {"ema_alpha": 2}}
add("routing_setting_out_of_range", s,
    "routing.settings.ema_alpha: expected a number in [1e-06, 1], got 2")
s = base(); s["placement"] = {"policy": "petals"}
add("petals_placement_synthetic", s, 'placement: "petals" needs a model with block sizes')
s = base(); s["placement"] = {"policy": "nope"}
add("unknown_placement", s, 'placement.policy: unknown placement policy "nope"')
s = base(); s["compression"] = {"activations": "fp61"}
add("unknown_codec", s, 'compression.activations: unknown codec "fp61"')
s = base(); s["nodes"][0]["device"] = "no-such-gpu"
add("unknown_device_preset", s, 'nodes[0].device: unknown device preset "no-such-gpu"')
s = base(); s["model"] = {"preset": "no-such-model"}
add("unknown_model_preset", s, 'model.preset: unknown model preset "no-such-model"')
s = base(); s["network"] = {"rtt": "wondernetwork-2018"}
s["nodes"][0]["region"] = s["workload"]["client_region"] = "Atlantis"
add("unknown_city", s, 'unknown city "Atlantis"')
s = base(); s["model"] = {"preset": "llama-2-7b"}; s["nodes"][0]["device"]["memory_gb"] = 1
add("node_memory_too_small", s, "placement: node 0: blocks [0, 16) need")
add("broken_trace", trace("broken_trace.csv"), "broken_trace.csv: line 1: expected a header")
add("missing_trace", trace("no_such_trace.csv"), "no_such_trace.csv: cannot open")
add("truncated_weights", llama("truncated.bin", "tok512.bin"), "truncated.bin: byte offset 1000: truncated")
add("garbage_weights", llama("garbage.bin", "tok512.bin"), "garbage.bin: unrecognised model file (4096 bytes): expected GGUF")
add("bad_tokenizer", llama("stories260K.bin", "garbage_tok.bin"), "garbage_tok.bin: byte offset 0: max_token_length")

with open(os.path.join(out, "cases.txt"), "w") as f:
    for name, want in cases:
        f.write(f"{name}|{want}\n")
