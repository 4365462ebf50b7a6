#!/usr/bin/env bash
# A/B timing of cold builds on the generated corpus: two variants, alternated round by round so
# they share the machine's load, each a cold `build` (output folder and <site>/.bucketpress/
# deleted first). A variant is a binary and extra lines for site.toml.
#
#   bench/ab.sh --posts 10000 --runs 5 \
#       --a "links on"  "$BIN" "" \
#       --b "links off" "$BIN" $'[links]\ninternal = "off"'
#
# Options:
#   --posts N               corpus size (default 10000)
#   --runs K                rounds (default 5); medians and minimums are reported
#   --a NAME BIN TOML       first variant: its name, binary, and site.toml lines to add
#   --b NAME BIN TOML       second variant
#   --gen PATH              the corpus generator (default target/release/examples/gen_corpus)
#   --work DIR              scratch folder (default bench/work/ab)
#   --out FILE              results (Markdown) appended to, default stdout only
# Needs GNU time (/usr/bin/time) for peak RSS.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
posts=10000 runs=5 work="$repo/bench/work/ab" out=""
gen="${CARGO_TARGET_DIR:-$repo/target}/release/examples/gen_corpus"
declare -a A B
while [[ $# -gt 0 ]]; do
    case "$1" in
        --posts) posts=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --a) A=("$2" "$3" "$4"); shift 4 ;;
        --b) B=("$2" "$3" "$4"); shift 4 ;;
        --gen) gen=$2; shift 2 ;;
        --work) work=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        -h|--help) sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done
[[ ${#A[@]} -eq 3 && ${#B[@]} -eq 3 ]] || { echo "--a and --b are both needed" >&2; exit 2; }
mkdir -p "$work"
corpus="$work/corpus-$posts"
if [[ ! -f "$corpus/.done" ]]; then
    rm -rf "$corpus"
    "$gen" --posts "$posts" --out "$corpus" >/dev/null
    touch "$corpus/.done"
fi
tsv="$work/ab.tsv"
: >"$tsv"
one() { # name bin toml round
    local name=$1 bin=$2 toml=$3 round=$4
    printf 'title = "Bench"\nbase_url = "https://bench.example.com/"\nposts_per_page = 10\n%s\n' \
        "$toml" >"$corpus/site.toml"
    rm -rf "$corpus/.bucketpress" "$work/out"
    /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$bin" -q build --site "$corpus" --out "$work/out"
    read -r wall user sys rss <"$work/time"
    printf '%s\t%s\t%s\t%s\n' "$name" "$round" "$wall" \
        "$(awk -v u="$user" -v s="$sys" -v r="$rss" 'BEGIN{printf "%.2f\t%.0f", u+s, r/1024}')" >>"$tsv"
    echo "[ab $(date +%H:%M:%S)] round $round $name: ${wall}s" >&2
}
for ((r = 1; r <= runs; r++)); do
    one "${A[0]}" "${A[1]}" "${A[2]}" "$r"
    one "${B[0]}" "${B[1]}" "${B[2]}" "$r"
done
report=$(python3 - "$tsv" "${A[0]}" "${B[0]}" "$posts" "$runs" <<'PY'
import sys, statistics as st
rows = [l.split("\t") for l in open(sys.argv[1]).read().splitlines()]
a, b, posts, runs = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
print(f"{posts} posts, {runs} alternating rounds, cold `build` each:\n")
print("| variant | wall median s | wall min s | CPU median s | peak RSS median MB |")
print("|---|---|---|---|---|")
med = {}
for v in (a, b):
    w = [float(r[2]) for r in rows if r[0] == v]
    c = [float(r[3]) for r in rows if r[0] == v]
    m = [float(r[4]) for r in rows if r[0] == v]
    med[v] = (st.median(w), st.median(c))
    print(f"| {v} | {st.median(w):.2f} | {min(w):.2f} | {st.median(c):.2f} | {st.median(m):.0f} |")
print(f"\n{a} / {b}: wall {med[a][0]/med[b][0]:.3f}x, CPU {med[a][1]/med[b][1]:.3f}x (medians)")
PY
)
echo "$report"
[[ -n $out ]] && printf '\n%s\n' "$report" >>"$out"
exit 0
