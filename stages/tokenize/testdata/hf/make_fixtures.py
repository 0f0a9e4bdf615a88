#!/usr/bin/env python3
"""Writes the small self-made Hugging Face tokenizer.json fixtures of
stages/tokenize: byte-level BPE models with merges learnt from a few
sentences written for the purpose (no real model's vocabulary).

  llama3-like.json  Llama 3 / Qwen 2 shape: Split(regex, Isolated) then
                    ByteLevel(use_regex false), ignore_merges, NFC,
                    merges as "a b" strings, special and non-special
                    added tokens.
  gpt2-like.json    GPT-2 shape: ByteLevel(use_regex true,
                    add_prefix_space true), merges as [a, b] pairs.
"""
import json, re, collections

def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b); cs.append(256 + n); n += 1
    return dict(zip(bs, map(chr, cs)))

B2U = bytes_to_unicode()
CORPUS = """The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs.
Hello world! Hello there, world. It's the world's oldest river, isn't it?
In 2024 there were 12345 tokens and 678 questions; 3.14 is pi.
Context: the river flows north. Question: which way does the river flow? Answer: north.
café naïve façade 日本語 テキスト emoji 😀 done.
    indented    code() { return x + y; }
"""
WORD = re.compile(r"'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d{1,3}| ?[^\s\w]+|\s+")

def train(n_merges):
    words = collections.Counter()
    for m in WORD.findall(CORPUS):
        words[tuple(B2U[b] for b in m.encode())] += 1
    merges = []
    for _ in range(n_merges):
        pairs = collections.Counter()
        for w, c in words.items():
            for a, b in zip(w, w[1:]):
                pairs[a, b] += c
        if not pairs:
            break
        best = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))[0]
        merges.append(best)
        nw = collections.Counter()
        for w, c in words.items():
            out, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and (w[i], w[i + 1]) == best:
                    out.append(w[i] + w[i + 1]); i += 2
                else:
                    out.append(w[i]); i += 1
            nw[tuple(out)] += c
        words = nw
    return merges

def vocab_of(merges):
    vocab = {}
    for b in range(256):
        vocab[B2U[b]] = len(vocab)
    for a, b in merges:
        if a + b not in vocab:
            vocab[a + b] = len(vocab)
    return vocab

LLAMA3_SPLIT = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"

def llama3_like():
    merges = train(220)
    vocab = vocab_of(merges)
    # A word in the vocabulary without the merges that build it: with
    # ignore_merges it is one token, without it several.
    vocab["Ġhippopotamus"] = len(vocab)
    n = len(vocab)
    added = [
        {"id": n, "content": "<|begin_of_text|>", "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True},
        {"id": n + 1, "content": "<|eot_id|>", "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True},
        {"id": n + 2, "content": "<think>", "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": False},
    ]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {"type": "NFC"},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": LLAMA3_SPLIT}, "behavior": "Isolated", "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False},
        ]},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": True,
                  "vocab": vocab, "merges": [a + " " + b for a, b in merges]},
    }

def gpt2_like():
    merges = train(120)
    vocab = vocab_of(merges)
    n = len(vocab)
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [{"id": n, "content": "<|endoftext|>", "single_word": False, "lstrip": False, "rstrip": False, "normalized": True, "special": True}],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                  "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": vocab, "merges": [[a, b] for a, b in merges]},
    }

for name, tok in (("llama3-like.json", llama3_like()), ("gpt2-like.json", gpt2_like())):
    with open(name, "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False, indent=1)
