#!/usr/bin/env bash
# How time and memory grow with the site (issue #22): for each corpus size, a cold `build`, a
# no-op `build` (same output folder, cache kept), a cold `check`, and a first and a no-op
# `publish` to a folder target, each with its wall time and peak RSS (GNU time).
#
#   bench/scale.sh --posts "10000 50000 100000" --out bench/results/scale.md
#
# Options:
#   --posts "N..."   corpus sizes (default "10000 50000 100000")
#   --gen PATH       the corpus generator (default target/release/examples/gen_corpus)
#   --work DIR       scratch folder (default bench/work/scale; a 100k corpus is ~1 GB)
#   --out FILE       results appended (Markdown); stdout always
# Environment: BUCKETPRESS=PATH (default target/release/bucketpress).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
sizes="10000 50000 100000" work="$repo/bench/work/scale" out=""
target_dir=${CARGO_TARGET_DIR:-$repo/target}
gen="$target_dir/release/examples/gen_corpus"
bin=${BUCKETPRESS:-$target_dir/release/bucketpress}
while [[ $# -gt 0 ]]; do
    case "$1" in
        --posts) sizes=$2; shift 2 ;;
        --gen) gen=$2; shift 2 ;;
        --work) work=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        -h|--help) sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done
mkdir -p "$work"
tsv="$work/scale.tsv"
: >"$tsv"
timed() { # label posts -- command...
    local label=$1 posts=$2; shift 3
    /usr/bin/time -f '%e %M' -o "$work/time" "$@" >"$work/last.log" 2>&1 ||
        { echo "failed: $*" >&2; cat "$work/last.log" >&2; exit 1; }
    read -r wall rss <"$work/time"
    printf '%s\t%s\t%s\t%s\n' "$posts" "$label" "$wall" "$((rss / 1024))" >>"$tsv"
    echo "[scale $(date +%H:%M:%S)] $posts $label: ${wall}s $((rss / 1024)) MB" >&2
}
for n in $sizes; do
    corpus="$work/corpus-$n"
    if [[ ! -f "$corpus/.done" ]]; then
        rm -rf "$corpus"
        "$gen" --posts "$n" --out "$corpus" >/dev/null
        touch "$corpus/.done"
    fi
    printf 'title = "Bench"\nbase_url = "https://bench.example.com/"\nposts_per_page = 10\n' \
        >"$corpus/site.toml"
    rm -rf "$corpus/.bucketpress" "$work/out" "$work/target"
    timed "build (cold)" "$n" -- "$bin" -q build --site "$corpus" --out "$work/out"
    timed "build (no-op)" "$n" -- "$bin" -q build --site "$corpus" --out "$work/out"
    rm -rf "$corpus/.bucketpress"
    timed "check (cold)" "$n" -- "$bin" -q check --site "$corpus"
    rm -rf "$corpus/.bucketpress"
    timed "publish (first, cold)" "$n" -- "$bin" -q publish --site "$corpus" --to "file://$work/target"
    timed "publish (no-op)" "$n" -- "$bin" -q publish --site "$corpus" --to "file://$work/target"
    rm -rf "$work/out" "$work/target"
done
report=$(python3 - "$tsv" <<'PY'
import sys
rows = [l.split("\t") for l in open(sys.argv[1]).read().splitlines()]
sizes = sorted({int(r[0]) for r in rows})
labels = list(dict.fromkeys(r[1] for r in rows))
get = {(int(r[0]), r[1]): (float(r[2]), int(r[3])) for r in rows}
print("| step | " + " | ".join(f"{n:,} posts" for n in sizes) + " |")
print("|---|" + "---|" * len(sizes))
for l in labels:
    cells = [f"{get[(n, l)][0]:.2f} s, {get[(n, l)][1]:,} MB" if (n, l) in get else "" for n in sizes]
    print(f"| {l} | " + " | ".join(cells) + " |")
if len(sizes) > 1:
    lo, hi = sizes[0], sizes[-1]
    b = "build (cold)"
    (tl, ml), (th, mh) = get[(lo, b)], get[(hi, b)]
    print(f"\nCold build {hi:,} / {lo:,}: time {th/tl:.1f}x for {hi/lo:.0f}x the posts; "
          f"memory grows {(mh-ml)*1024*1024/(hi-lo)/1024:.1f} KB a post.")
PY
)
echo "$report"
[[ -n $out ]] && printf '\n%s\n' "$report" >>"$out"
exit 0
