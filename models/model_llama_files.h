/* model_llama_files.h - the Llama transformer from GGUF and safetensors files.
 *
 * Both loaders read every tensor into one float32 buffer in llama2.c's
 * layout and call model_llama_create (which copies it), so a net built here
 * is the same as one built from the equivalent llama2.c checkpoint: for
 * stories260K.gguf every weight is bit-identical to stories260K.bin
 * (tests/check_loaders.c). Every tensor must be present with its exact shape
 * and a floating dtype (F32, F16; safetensors also BF16), every value finite
 * (SS_ENUMERIC otherwise, naming the tensor), and the configuration must pass
 * model_llama_config_check. The numerics of model_llama are fixed (RMSNorm
 * eps 1e-5, RoPE base 10000, head_size-wide rotation), so a file declaring
 * other values is refused with SS_EUNSUPPORTED rather than run wrongly.
 * The classifier is shared when the file has none or an exact copy of the
 * token embedding (stories260K.gguf stores output.weight as such a copy).
 *
 * GGUF (llama.cpp's layout; general.architecture "llama"): dimensions from
 * llama.embedding_length, feed_forward_length, block_count,
 * attention.head_count, attention.head_count_kv (default head_count),
 * context_length; vocabulary from token_embd.weight's shape. Tensor names
 * token_embd, blk.N.attn_norm / attn_q / attn_k / attn_v / attn_output /
 * ffn_norm / ffn_gate / ffn_down / ffn_up, output_norm, output. llama.cpp
 * rotates adjacent pairs (i, i+1) as llama2.c does, so q and k are used as
 * stored.
 *
 * safetensors (Hugging Face's LlamaForCausalLM layout): the configuration
 * is the config.json next to the file (read by model_arch_load, plus
 * rms_norm_eps and rope_theta when present). Tensor names
 * model.embed_tokens, model.layers.N.input_layernorm /
 * self_attn.{q,k,v,o}_proj / post_attention_layernorm /
 * mlp.{gate,up,down}_proj, model.norm, lm_head (absent when tied).
 * Hugging Face's checkpoints rotate halves (i, i + head_size/2): their q and
 * k rows are permuted per head by the converter
 * (convert_llama_weights_to_hf.py: view(heads, hs/2, 2, dim).transpose(1, 2)),
 * so row h*hs + p*hs/2 + i of the file is row h*hs + 2i + p of llama2.c's
 * layout; the loader undoes it (llama2.c's export.py permute_reverse).
 *
 * Status codes as the underlying readers (model_gguf.h,
 * model_safetensors.h), plus SS_ENOTFOUND (a tensor or key missing),
 * SS_ESCHEMA (wrong shape or type), SS_EUNSUPPORTED, SS_ENUMERIC. Errors
 * name the file and the tensor or key. *out is NULL on failure.
 */
#ifndef MODEL_LLAMA_FILES_H
#define MODEL_LLAMA_FILES_H

#include <stddef.h>

#include "model_net.h"
#include "ss_status.h"

ss_status model_llama_gguf_load_net(const char *path, model_net **out, char *err, size_t errlen);

/* Looks for config.json in the directory of `path`. */
ss_status model_llama_st_load_net(const char *path, model_net **out, char *err, size_t errlen);

/* Name of the tensor whose presence marks a safetensors file as a Llama. */
#define MODEL_LLAMA_ST_EMBED "model.embed_tokens.weight"

#endif
