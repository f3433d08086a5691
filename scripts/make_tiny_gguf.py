"""Write a tiny random-weight qwen2 GGUF with the real Qwen2.5 tokenizer.

Usage: make_tiny_gguf.py OUT.gguf [SEED] — needs numpy and gguf (pip install numpy gguf).
Two files with different seeds make a target/draft pair whose acceptance is real but low.
Used by scripts/llamacpp-spec-e2e.sh.
"""
import json
import sys

import numpy as np

import os

import gguf

TOKENIZER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "assets", "tokenizer.json")
# ChatML, the format Qwen2.5 is trained on; llama-server renders chat requests with it.
CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
OUT = sys.argv[1]

N_LAYER, N_EMBD, N_HEAD, N_HEAD_KV, N_FF, N_CTX = 2, 64, 4, 4, 128, 2048

tj = json.load(open(TOKENIZER))
vocab = tj["model"]["vocab"]
added = {a["id"]: a for a in tj["added_tokens"]}
n_vocab = max(max(vocab.values()), max(added)) + 1
tokens = [None] * n_vocab
types = [gguf.TokenType.NORMAL] * n_vocab
for tok, i in vocab.items():
    tokens[i] = tok
for i, a in added.items():
    tokens[i] = a["content"]
    types[i] = gguf.TokenType.CONTROL if a["special"] else gguf.TokenType.USER_DEFINED
assert all(t is not None for t in tokens)
merges = tj["model"]["merges"]
if merges and not isinstance(merges[0], str):
    merges = [" ".join(m) for m in merges]

w = gguf.GGUFWriter(OUT, "qwen2")
w.add_name("tiny-random-qwen2")
w.add_context_length(N_CTX)
w.add_embedding_length(N_EMBD)
w.add_block_count(N_LAYER)
w.add_feed_forward_length(N_FF)
w.add_head_count(N_HEAD)
w.add_head_count_kv(N_HEAD_KV)
w.add_rope_freq_base(1000000.0)
w.add_layer_norm_rms_eps(1e-6)
w.add_file_type(gguf.LlamaFileType.ALL_F32)

w.add_tokenizer_model("gpt2")
w.add_tokenizer_pre("qwen2")
w.add_token_list(tokens)
w.add_token_types(types)
w.add_token_merges(merges)
w.add_bos_token_id(151643)  # <|endoftext|>, as the official Qwen2.5 GGUFs do
w.add_eos_token_id(151645)  # <|im_end|>
w.add_pad_token_id(151643)
w.add_add_bos_token(False)
w.add_chat_template(CHAT_TEMPLATE)

rng = np.random.default_rng(int(sys.argv[2]) if len(sys.argv) > 2 else 0)


def rnd(*shape, scale=0.02):
    # numpy shape is the reverse of ggml's ne order
    return (rng.standard_normal(shape) * scale).astype(np.float32)


w.add_tensor("token_embd.weight", rnd(n_vocab, N_EMBD))
w.add_tensor("output_norm.weight", np.ones(N_EMBD, dtype=np.float32))
head_dim = N_EMBD // N_HEAD
kv = head_dim * N_HEAD_KV
for b in range(N_LAYER):
    p = f"blk.{b}."
    w.add_tensor(p + "attn_norm.weight", np.ones(N_EMBD, dtype=np.float32))
    w.add_tensor(p + "attn_q.weight", rnd(N_EMBD, N_EMBD))
    w.add_tensor(p + "attn_k.weight", rnd(kv, N_EMBD))
    w.add_tensor(p + "attn_v.weight", rnd(kv, N_EMBD))
    w.add_tensor(p + "attn_q.bias", rnd(N_EMBD))
    w.add_tensor(p + "attn_k.bias", rnd(kv))
    w.add_tensor(p + "attn_v.bias", rnd(kv))
    w.add_tensor(p + "attn_output.weight", rnd(N_EMBD, N_EMBD))
    w.add_tensor(p + "ffn_norm.weight", np.ones(N_EMBD, dtype=np.float32))
    w.add_tensor(p + "ffn_gate.weight", rnd(N_FF, N_EMBD))
    w.add_tensor(p + "ffn_up.weight", rnd(N_FF, N_EMBD))
    w.add_tensor(p + "ffn_down.weight", rnd(N_EMBD, N_FF))

w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()
print("wrote", OUT, "n_vocab", n_vocab)
