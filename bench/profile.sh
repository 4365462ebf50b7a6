#!/usr/bin/env bash
# Where does a bucketpress build spend its work? Callgrind on a small corpus (exact instruction
# counts, all threads), or perf sampling on any corpus, summarised by pipeline stage.
#
#   bench/profile.sh                 # callgrind, 500 posts (≈ 4 min on 2 busy cores)
#   bench/profile.sh 200             # callgrind, 200 posts
#   bench/profile.sh --perf 10000    # perf record -e cpu-clock --call-graph dwarf, 10,000 posts
#   add --reuse to summarise the last raw profile again without re-recording
#   add --warm to profile a build whose highlight cache (<site>/.bucketpress) is filled first;
#   by default the cache is deleted, so the profile is of a cold build
#
# Uses the release binary as built (line tables on via [profile.release] debug); set
# BUCKETPRESS=/path/to/binary to profile another one.
# Raw outputs stay in bench/work/ (git-ignored): callgrind.N.out, callgrind.N.txt, perf.N.data.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mode=callgrind
posts=500
reuse=0
warm=0
while [[ $# -gt 0 ]]; do
    case "$1" in
        --perf) mode=perf; shift ;;
        --callgrind) mode=callgrind; shift ;;
        --reuse) reuse=1; shift ;;
        --warm) warm=1; shift ;;
        -h|--help) sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) posts=$1; shift ;;
    esac
done
gen=${CARGO_TARGET_DIR:-$repo/target}/release/examples/gen_corpus
bin=${BUCKETPRESS:-${CARGO_TARGET_DIR:-$repo/target}/release/bucketpress}
[[ -x $bin ]] || { echo "no binary at $bin: cargo build --release first" >&2; exit 2; }
work="$repo/bench/work"
mkdir -p "$work"
corpus="$work/c$posts"
# Reuse run.sh's corpus when it has this many posts.
if [[ -d $work/corpus/content/posts && $(find "$work/corpus/content/posts" -name '*.md' | wc -l) == "$posts" ]]; then
    corpus="$work/corpus"
fi
if [[ ! -d $corpus/content ]]; then
    [[ -x $gen ]] || (cd "$repo" && cargo build --release --locked --example gen_corpus)
    "$gen" --posts "$posts" --out "$corpus" >/dev/null
fi
printf 'title = "Bench"\nbase_url = "https://bench.example.com/"\nposts_per_page = 10\n' >"$corpus/site.toml"
out="$work/profile-out"
rm -rf "$out" "$corpus/.bucketpress"
tag=$posts
if [[ $warm == 1 ]]; then
    tag="$posts-warm"
    [[ $reuse == 1 ]] || "$bin" build --site "$corpus" --out "$out" >/dev/null 2>&1
    rm -rf "$out"
fi

# Stages: label and the function (regex on the demangled name) whose inclusive cost measures it.
stages=(
    "read + parse sources (all)|bucketpress::content::load::read_doc"
    "  front matter + Doc::parse|bucketpress::content::doc::Doc::parse"
    "  front matter parser|bucketpress::content::front_matter::parse"
    "Markdown render incl. highlighting|bucketpress::markdown::render"
    "  syntect highlighting (Highlighter::block)|bucketpress::highlight::Highlighter::block"
    "  highlight cache load (file → map)|bucketpress::highlight::Highlighter::load"
    "  highlight cache save|bucketpress::highlight::Highlighter::save"
    "    syntect ParseState::parse_line|syntect::parsing::parser::ParseState::parse_line"
    "    oniguruma regex search|onig::Regex::search_with_param"
    "    syntect MatchIter (context walk)|syntect::parsing::syntax_definition::MatchIter"
    "    syntect tokens -> HTML spans|syntect::html::line_tokens_to_classed_spans"
    "    regex compile (lazy, per grammar)|onig::Regex::with_options_and_encoding"
    "  pulldown-cmark first pass (block parse)|pulldown_cmark::firstpass::run_first_pass"
    "  pulldown-cmark HTML writer|pulldown_cmark::html::HtmlWriter<I,W>::run"
    "tera Tera::render (templates)|tera::tera::Tera::render"
    "tera Context::insert (serialize to JSON values)|tera::context::Context::insert"
    "serde Serialize for DocCtx|Serialize for bucketpress::render::context::DocCtx"
    "drop serde_json::Value trees|drop_in_place<serde_json::value::Value>"
    "blake3 hashing (outputs)|^blake3::hash$|blake3_hash_many_avx2"
    "Output::from_bytes (hashing every output)|bucketpress::outputs::Output::from_bytes"
    "write files (user side; syscalls: see perf)|bucketpress::write::write_outputs|^write_one$"
    "  mkdir (kernel, perf only)|__GI_mkdir"
    "  write(2) (kernel, perf only)|__GI___libc_write"
    "syntax set load|load_defaults_newlines"
    "template parse (Templates::load)|bucketpress::templates::Templates::load"
    "malloc (all callers)|^malloc$|__GI___libc_malloc"
    "free (all callers)|^free$|cfree"
)

# summarise FILE: lines "PCT<TAB>symbol" → the stage table (max over matching symbols).
summarise() {
    local file=$1
    printf '%-50s %8s  %s\n' "stage" "incl. %" "matched function"
    for s in "${stages[@]}"; do
        local label=${s%%|*} re=${s#*|}
        awk -F'\t' -v re="$re" -v label="$label" '
            { sym = $2; if (sym ~ re && $1 + 0 > best) { best = $1 + 0; what = sym } }
            END { if (what == "") printf "%-50s %8s\n", label, "-"; else printf "%-50s %7.2f%%  %s\n", label, best, substr(what, 1, 70) }' "$file"
    done
}

if [[ $mode == callgrind ]]; then
    command -v valgrind >/dev/null || { echo "apt-get install -y valgrind" >&2; exit 2; }
    raw="$work/callgrind.$tag.out"
    [[ $reuse == 1 && -f $raw ]] || valgrind --tool=callgrind --callgrind-out-file="$raw" "$bin" build --site "$corpus" --out "$out" \
        2>"$work/callgrind.$tag.log" >&2
    callgrind_annotate --inclusive=yes --auto=no --threshold=100 "$raw" >"$work/callgrind.$tag.txt" 2>/dev/null
    callgrind_annotate --auto=no --threshold=100 "$raw" >"$work/callgrind.$tag.self.txt" 2>/dev/null
    total=$(awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}' "$work/callgrind.$tag.txt")
    # "Ir (pct%)  file:function [object]" → "pct<TAB>function"
    to_tsv() {
        awk -v total="$total" '/^ *[0-9,]+ \(/ && !/PROGRAM TOTALS/ {
            ir = $1; gsub(",", "", ir); line = $0
            sub(/^ *[0-9,]+ \( *[0-9.]+%\) */, "", line); sub(/ \[[^]]*\]$/, "", line)
            fn = line; if (match(fn, /^[^ :]+:[^:]/)) fn = substr(fn, RLENGTH)
            if (fn ~ /'"'"'[0-9]+$/) next   # recursion cycles: callgrind counts them twice
            printf "%.4f\t%s\n", 100 * ir / total, fn }' "$1"
    }
    to_tsv "$work/callgrind.$tag.txt" >"$work/callgrind.$tag.tsv"
    echo
    echo "== callgrind, bucketpress build ($( ((warm)) && echo warm highlight cache || echo cold)), $posts posts: $(printf "%'d" "$total") instructions =="
    echo "(inclusive: a function and everything it calls; nested stages are part of the line above)"
    echo
    summarise "$work/callgrind.$tag.tsv"
    echo
    echo "== top 25 inclusive functions (bucketpress binary, rayon/closure plumbing hidden) =="
    grep -vE 'rayon|closure|call_once|catch_unwind|do_call|halt_unwinding|core::ops|std::thread|std::sys|start_thread|clone3|__rust_begin|0x0000' \
        "$work/callgrind.$tag.tsv" | sort -t$'\t' -k1,1 -rn | awk -F'\t' '!seen[$2]++' | awk 'NR <= 25' |
        awk -F'\t' '{printf "%7.2f%%  %s\n", $1, substr($2, 1, 110)}'
    echo
    echo "== self cost by crate (where the instructions themselves run) =="
    awk -v total="$total" '/^ *[0-9,]+ \(/ && !/PROGRAM TOTALS/ {
            ir = $1; gsub(",", "", ir); line = $0; sub(/^ *[0-9,]+ \( *[0-9.]+%\) */, "", line)
            file = line; sub(/:.*/, "", file)
            if (file ~ /registry\/src/) { sub(/.*registry\/src\/[^\/]*\//, "", file); sub(/\/.*/, "", file); sub(/-[0-9][0-9.]*$/, "", file) }
            else if (file ~ /\/rustc\/|\/rust\/deps\//) file = "rust std/alloc/core/hashbrown"
            else if (file ~ /malloc/) file = "libc malloc/free"
            else if (file ~ /string\/|memmove|memcpy|memset|memchr|memcmp/) file = "libc mem*/str*"
            else if (file ~ /src\//) file = "bucketpress src"
            s[file] += ir }
        END { for (k in s) if (100 * s[k] / total >= 0.2) printf "%7.2f%%  %s\n", 100 * s[k] / total, k }' \
        "$work/callgrind.$tag.self.txt" | sort -rn
else
    command -v perf >/dev/null || { echo "apt-get install -y linux-perf" >&2; exit 2; }
    raw="$work/perf.$tag.data"
    [[ $reuse == 1 && -f $raw ]] || perf record -F 199 -e cpu-clock --call-graph dwarf,16384 -o "$raw" -- \
        "$bin" build --site "$corpus" --out "$out" 2>&1 | tail -2 >&2
    perf report -i "$raw" --children --sort symbol --stdio -g none --percent-limit 0.05 2>/dev/null |
        awk '/^ +[0-9.]+%/ { pct = $1; sub(/%/, "", pct); line = $0; sub(/^ *[0-9.]+% +[0-9.]+% +\[[^]]*\] +/, "", line); sub(/[ \t-]+$/, "", line); printf "%s\t%s\n", pct, line }' \
        >"$work/perf.$tag.tsv"
    echo
    echo "== perf (cpu-clock samples, all threads), bucketpress build ($( ((warm)) && echo warm highlight cache || echo cold)), $posts posts =="
    echo
    summarise "$work/perf.$tag.tsv"
    echo
    echo "== top 25 inclusive =="
    grep -vE 'rayon|closure|call_once|catch_unwind|do_call|halt_unwinding|core::ops|std::thread|std::sys|start_thread|clone3|__rust_begin|inlined|0xffff' \
        "$work/perf.$tag.tsv" | sort -t$'\t' -k1,1 -rn | awk 'NR <= 25' | awk -F'\t' '{printf "%7.2f%%  %s\n", $1, substr($2, 1, 110)}'
fi
