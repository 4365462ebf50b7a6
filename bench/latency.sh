#!/usr/bin/env bash
# Publishing at real network latency: bucketpress publish, aws s3 sync and hugo deploy through
# the same shaping proxy (round trip and bandwidth), each into its own bucket of the in-process
# S3 server, in one run (examples/latency_bench.rs).
#
#   bench/latency.sh                         # 10,000 posts, 50 ms, 100 Mbit/s
#   bench/latency.sh --posts 1000 --rtt-ms 80 --mbit 50
#
# Needs cargo; optional: `aws` (pip install awscli) and `hugo` (apt-get install -y hugo), each
# left out when missing. Results go to stdout as a Markdown table.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
posts=10000
extra=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --posts) posts=$2; shift 2 ;;
        --rtt-ms|--mbit) extra+=("$1" "$2"); shift 2 ;;
        -h|--help) sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done
target_dir=${CARGO_TARGET_DIR:-$repo/target}
(cd "$repo" && cargo build --release --locked --bin bucketpress --example latency_bench --example gen_corpus)
work="$repo/bench/work/latency"
rm -rf "$work"
mkdir -p "$work"
"$target_dir/release/examples/gen_corpus" --posts "$posts" --out "$work/corpus" >/dev/null
printf 'title = "Bench"\nbase_url = "https://bench.example.com/"\nposts_per_page = 10\n' >"$work/corpus/site.toml"
command -v aws >/dev/null || extra+=(--no-aws)
if command -v hugo >/dev/null; then
    bash "$repo/bench/hugo-site/prepare.sh" "$work/corpus" "$work/hugo"
    extra+=(--hugo-site "$work/hugo")
fi
echo "latency bench: $posts posts, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$repo" rev-parse --short HEAD), load $(cut -d' ' -f1-3 /proc/loadavg)"
"$target_dir/release/examples/latency_bench" "$work/corpus" --bin "$target_dir/release/bucketpress" "${extra[@]}"
