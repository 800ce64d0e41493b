"""SentencePiece BPE training anchor for `npm run bench -- tokenizer` (bench/anchors-tokenizer.ts).

Runs Debian's `spm_train --model_type=bpe` on one thread and measures it from outside:

    python3 tokenizer_spm.py --input corpus.txt --vocab-size 30000 --prefix /tmp/spm

Prints one JSON line: seconds (wall time of spm_train), peak_rss_mb (ru_maxrss of the child),
vocab_size (pieces in the written .vocab file), command (the spm_train command line).
Exit 3 with a message on stderr when spm_train is not on PATH.
"""

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--input", required=True)
    ap.add_argument("--vocab-size", type=int, required=True)
    ap.add_argument("--prefix", required=True)
    args = ap.parse_args()

    exe = shutil.which("spm_train")
    if exe is None:
        print("spm_train not on PATH", file=sys.stderr)
        sys.exit(3)
    cmd = [
        exe,
        f"--input={args.input}",
        f"--model_prefix={args.prefix}",
        f"--vocab_size={args.vocab_size}",
        "--model_type=bpe",
        "--num_threads=1",
        # a soft limit: a small corpus may not have enough pieces for the exact size
        "--hard_vocab_limit=false",
        "--minloglevel=2",
    ]
    t0 = time.perf_counter()
    run = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if run.returncode != 0:
        print(run.stderr[-2000:], file=sys.stderr)
        sys.exit(run.returncode)
    with open(f"{args.prefix}.vocab", encoding="utf-8") as f:
        vocab_size = sum(1 for _ in f)
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_rss_mb": peak_kib / 1024,
                "vocab_size": vocab_size,
                "command": " ".join(["spm_train"] + cmd[1:]),
            }
        )
    )


if __name__ == "__main__":
    main()
