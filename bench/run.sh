#!/usr/bin/env bash
# Benchmark harness for bucketpress (issue #5): one command builds the release binary, generates
# the corpus (examples/gen_corpus.rs), and times bucketpress against Hugo on the same posts, alternating runs.
#
#   bench/run.sh                      # 10,000 posts, best of 3, release build first
#   bench/run.sh --posts 1000 --runs 1 --no-build
#
# Options:
#   --posts N        corpus size (default 10000)
#   --runs K         alternating bucketpress/Hugo rounds, best of K is reported (default 3)
#   --no-build       do not run `cargo build --release --locked` (use the binary already built)
#   --no-hugo        skip Hugo even when installed
#   --no-publish     skip the `bucketpress publish` section
#   --work DIR       scratch folder for corpus and outputs (default bench/work, git-ignored)
#   --out FILE       results file (default bench/results/latest.md)
# Environment:
#   BUCKETPRESS=PATH      the binary to time (default $CARGO_TARGET_DIR/release/bucketpress)
#   PUBLISH_EXTRA="..."   extra arguments for `bucketpress publish` (e.g. "--yes")
#   OUT_BASE=DIR          where the build outputs go (default the work folder; OUT_BASE=/dev/shm
#                         keeps ext4's cost of reusing just-deleted inodes out of both tools' times)
#
# See bench/README.md for what each figure means and how to profile.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
posts=10000
runs=3
do_build=1
do_hugo=1
do_publish=1
work="$repo/bench/work"
results="$repo/bench/results/latest.md"

usage() { sed -n '2,23p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
    case "$1" in
        --posts) posts=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --no-build) do_build=0; shift ;;
        --no-hugo) do_hugo=0; shift ;;
        --no-publish) do_publish=0; shift ;;
        --work) work=$2; shift 2 ;;
        --out) results=$2; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done
[[ $posts =~ ^[0-9]+$ && $posts -gt 0 ]] || { echo "--posts wants a positive number" >&2; exit 2; }
[[ $runs =~ ^[0-9]+$ && $runs -gt 0 ]] || { echo "--runs wants a positive number" >&2; exit 2; }

prepare="$repo/bench/hugo-site/prepare.sh"

say() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

mkdir -p "$work/logs"
work=$(cd "$work" && pwd)
logs="$work/logs"
corpus="$work/corpus"
tsv="$work/results.tsv"
: >"$tsv"

# ---------------------------------------------------------------- 1. build the binary
target_dir=${CARGO_TARGET_DIR:-$repo/target}
bin=${BUCKETPRESS:-$target_dir/release/bucketpress}
gen="$target_dir/release/examples/gen_corpus"
if [[ $do_build == 1 ]]; then
    say "cargo build --release --locked --bin bucketpress --example publish_bench --example gen_corpus"
    (cd "$repo" && cargo build --release --locked --bin bucketpress --example publish_bench --example gen_corpus)
fi
[[ -x $gen ]] || { echo "no corpus generator at $gen (drop --no-build)" >&2; exit 2; }
[[ -x $bin ]] || { echo "no binary at $bin (drop --no-build, or set BUCKETPRESS=)" >&2; exit 2; }

# ---------------------------------------------------------------- 2. the corpus
# The generator is deterministic, so a corpus is reused when its stamp (post count + generator
# checksum) matches; the publish section's --mutate removes the stamp.
stamp="posts=$posts gen=$(cksum <"$repo/tests/integration/corpus.rs" | cut -d' ' -f1)"
if [[ ! -f $corpus/.bench-stamp || $(cat "$corpus/.bench-stamp") != "$stamp" ]]; then
    say "generating $posts posts into $corpus"
    rm -rf "$corpus"
    "$gen" --posts "$posts" --out "$corpus" >"$logs/gen.log"
    echo "$stamp" >"$corpus/.bench-stamp"
else
    say "reusing corpus $corpus ($stamp)"
fi
cat >"$corpus/site.toml" <<'EOF'
title = "Bench"
base_url = "https://bench.example.com/"
posts_per_page = 10
EOF
corpus_mb=$(du -sm "$corpus/content" | cut -f1)
code_blocks=$(cat "$corpus"/content/posts/*.md 2>/dev/null | grep -c '^```[a-z]' || true)

# ---------------------------------------------------------------- 3. Hugo (optional)
hugo_dir="$work/hugo-site"
have_hugo=0
if [[ $do_hugo == 1 ]] && command -v hugo >/dev/null; then
    say "preparing the Hugo site in $hugo_dir"
    bash "$prepare" "$corpus" "$hugo_dir"
    have_hugo=1
    hugo_version=$(hugo version | awk '{print $2}')
else
    say "Hugo not installed (apt-get install -y hugo) or --no-hugo: timing bucketpress only"
    hugo_version="-"
fi

# ---------------------------------------------------------------- 4. measuring
have_gnu_time=0
if /usr/bin/time -v true >/dev/null 2>&1; then
    have_gnu_time=1
else
    say "/usr/bin/time -v not available (apt-get install -y time): wall time only, no RSS"
fi

count_files() { [[ -d $1 ]] && find "$1" -type f ! -name .bucketpress-outputs | wc -l || echo 0; }

# measure TOOL CASE RUN OUTDIR|- CMD...  → appends "tool case run wall rss_mb files status cpu" to $tsv.
# OUTDIR "-" means the command writes nothing; files are then read from its "N outputs" line.
measure() {
    local tool=$1 case=$2 run=$3 outdir=$4
    shift 4
    local log="$logs/$tool-$case-$run.log" tv="$logs/$tool-$case-$run.time"
    local t0 t1 status=ok rss="-" cpu="-" files
    t0=$(date +%s%N)
    if [[ $have_gnu_time == 1 ]]; then
        /usr/bin/time -v -o "$tv" "$@" >"$log" 2>&1 || status=FAIL
        rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$tv")
        cpu=$(awk -F': ' '/User time \(seconds\)|System time \(seconds\)/ {s += $2} END {printf "%.2f", s}' "$tv")
    else
        "$@" >"$log" 2>&1 || status=FAIL
    fi
    t1=$(date +%s%N)
    local wall
    wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", (b-a)/1e9}')
    if [[ $outdir == - ]]; then
        files=$(grep -oE '[0-9]+ outputs' "$log" | head -1 | cut -d' ' -f1)
        files="${files:-?} (mem)"
    else
        files=$(count_files "$outdir")
    fi
    [[ $status == ok ]] || say "FAILED: $* (see $log)"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$case" "$run" "$wall" "$rss" "$files" "$status" "$cpu" >>"$tsv"
    say "$(printf '%-11s %-17s run %s  %7ss wall  %7ss cpu  %6s MB  %s files  %s' "$tool" "$case" "$run" "$wall" "$cpu" "$rss" "$files" "$status")"
}

out_base=${OUT_BASE:-$work}
bp_out="$out_base/out-bucketpress"
hugo_out="$out_base/out-hugo"
# bucketpress keeps highlighted code in <site>/.bucketpress/cache between builds: "cold" cases
# delete it first, "warm" cases keep the one the cold build just wrote.
bp_cache="$corpus/.bucketpress"
cache_mb="-"
# Alternate tools inside each round so both see the same machine load.
for ((r = 1; r <= runs; r++)); do
    rm -rf "$bp_out" "$bp_cache"
    measure bucketpress full-build "$r" "$bp_out" "$bin" build --site "$corpus" --out "$bp_out"
    [[ -d $bp_cache ]] && cache_mb=$(du -sm "$bp_cache" | cut -f1)
    if [[ $have_hugo == 1 ]]; then
        rm -rf "$hugo_out" "$hugo_dir/resources" "$hugo_dir/.hugo_build.lock"
        measure hugo full-build "$r" "$hugo_out" hugo --quiet -s "$hugo_dir" -d "$hugo_out"
    fi
    rm -rf "$bp_out"
    measure bucketpress warm-build "$r" "$bp_out" "$bin" build --site "$corpus" --out "$bp_out"
    measure bucketpress noop-build "$r" "$bp_out" "$bin" build --site "$corpus" --out "$bp_out"
    rm -rf "$bp_cache"
    measure bucketpress check "$r" - "$bin" check --site "$corpus"
done

# ---------------------------------------------------------------- publish hook
# Runs only once `bucketpress publish` exists. Times a first publish to a local folder target,
# a no-op publish, and a publish after one post changed (keeping the highlight cache), then
# edit → live on a fresh checkout against Hugo (see below).
if [[ $do_publish == 1 ]] && "$bin" publish --help >/dev/null 2>&1; then
    target="$work/target-dir"
    rm -rf "$target" "$bp_cache"
    # shellcheck disable=SC2086
    measure bucketpress publish-first 1 "$target" "$bin" publish --site "$corpus" --to "file://$target" ${PUBLISH_EXTRA:-}
    # shellcheck disable=SC2086
    measure bucketpress publish-noop 1 "$target" "$bin" publish --site "$corpus" --to "file://$target" ${PUBLISH_EXTRA:-}
    rm -f "$corpus/.bench-stamp" # the corpus is no longer the pristine one
    "$gen" --posts "$posts" --out "$corpus" --mutate 1 >"$logs/mutate.log"
    # shellcheck disable=SC2086
    measure bucketpress publish-1-changed 1 "$target" "$bin" publish --site "$corpus" --to "file://$target" ${PUBLISH_EXTRA:-}

    # Edit → live on a fresh checkout: one more post changes, and each tool builds everything
    # from scratch (no cache) and deploys to a local folder: `hugo` + `hugo deploy` (which
    # compares MD5s with the target) against one `bucketpress publish`.
    if [[ $have_hugo == 1 ]]; then
        hugo_target="$work/hugo-target"
        rm -rf "$hugo_target" "$hugo_dir/public" && mkdir -p "$hugo_target"
        sed -i "s#^\( *URL = \).*#\1\"file://$hugo_target\"#" "$hugo_dir/hugo.toml"
        say "hugo + hugo deploy of the pristine corpus (the deploy being updated)"
        measure hugo deploy-first 1 "$hugo_target" bash -c "hugo --quiet -s '$hugo_dir' && hugo deploy -s '$hugo_dir' --target local"
        "$gen" --posts "$posts" --out "$hugo_dir" --mutate 1 --generation 2 >"$logs/mutate-hugo.log"
        rm -rf "$hugo_dir/public" "$hugo_dir/resources" "$hugo_dir/.hugo_build.lock"
        measure hugo edit-live-fresh 1 "$hugo_target" bash -c "hugo --quiet -s '$hugo_dir' && hugo deploy -s '$hugo_dir' --target local"
    fi
    "$gen" --posts "$posts" --out "$corpus" --mutate 1 --generation 2 >"$logs/mutate-2.log"
    rm -rf "$bp_cache"
    # shellcheck disable=SC2086
    measure bucketpress edit-live-fresh 1 "$target" "$bin" publish --site "$corpus" --to "file://$target" ${PUBLISH_EXTRA:-}

    # The same with `[publish] highlight_cache_in_bucket = true`: a first publish (no cache
    # anywhere) leaves the highlight cache in the target, then one more post changes and a
    # fresh checkout (no local cache) publishes, taking the cache from the target.
    shared_target="$work/target-shared"
    rm -rf "$shared_target" "$bp_cache"
    cp "$corpus/site.toml" "$work/site.toml.plain"
    printf '\n[publish]\nhighlight_cache_in_bucket = true\n' >>"$corpus/site.toml"
    say "seeding $shared_target (highlight_cache_in_bucket)"
    # shellcheck disable=SC2086
    "$bin" publish --site "$corpus" --to "file://$shared_target" ${PUBLISH_EXTRA:-} >"$logs/seed-shared.log" 2>&1
    "$gen" --posts "$posts" --out "$corpus" --mutate 1 --generation 3 >"$logs/mutate-3.log"
    rm -rf "$bp_cache"
    # shellcheck disable=SC2086
    measure bucketpress edit-live-fresh-bucket-cache 1 "$shared_target" "$bin" publish --site "$corpus" --to "file://$shared_target" ${PUBLISH_EXTRA:-}
    cp "$work/site.toml.plain" "$corpus/site.toml"
else
    say "no 'bucketpress publish' yet (or --no-publish): publish section skipped"
fi
# The same three cases against a real S3 server (the tests' in-process s3s-fs, SigV4 on), each
# a fresh process on a fresh copy of the sources with no cache, as on a fresh CI checkout.
s3_log="$logs/publish-s3.log"
rm -f "$s3_log"
publish_bench="$target_dir/release/examples/publish_bench"
if [[ $do_publish == 1 && -x $publish_bench ]]; then
    say "publish to an in-process S3 server (examples/publish_bench)"
    "$publish_bench" "$corpus" "$bin" >"$s3_log" 2>"$logs/publish-s3.err" || say "FAILED: publish_bench (see $logs/publish-s3.err)"
    cat "$s3_log" >&2
elif [[ $do_publish == 1 ]]; then
    say "no $publish_bench (cargo build --release --example publish_bench): S3 publish section skipped"
fi

# ---------------------------------------------------------------- 5. report
rev=$(cd "$repo" && git rev-parse --short HEAD 2>/dev/null || echo "?")
dirty=$(cd "$repo" && git status --porcelain -- src Cargo.toml Cargo.lock templates 2>/dev/null | head -1)
[[ -n $dirty ]] && rev="$rev+dirty"
mkdir -p "$(dirname "$results")"
{
    echo "# bucketpress benchmark"
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $rev, $(nproc) cores, load before run: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- build outputs under: $out_base"
    echo "- corpus: $posts posts, ${corpus_mb} MB of Markdown, $code_blocks fenced code blocks (examples/gen_corpus.rs, seed 1)"
    echo "- bucketpress: $("$bin" --version 2>/dev/null || echo '?'); Hugo: $hugo_version"
    echo "- command: \`bench/run.sh --posts $posts --runs $runs\`; best of $runs alternating rounds"
    echo "- bucketpress highlight cache after a cold build: ${cache_mb} MB (<site>/.bucketpress)"
    echo "- cases: full-build = cold (no highlight cache, empty out dir); warm-build = highlight cache kept, empty out dir;"
    echo "  noop-build = cache kept, same out dir (nothing changed); check = cold, render in memory only;"
    echo "  publish-* = \`publish --to file://DIR\`: first (cold cache, empty target), no-op, after one post changed (cache kept);"
    echo "  edit-live-fresh = one more post changed, then a build from scratch (no cache) + deploy to file://: \`hugo && hugo deploy\` vs \`bucketpress publish\`;"
    echo "  edit-live-fresh-bucket-cache = the same for bucketpress with [publish] highlight_cache_in_bucket = true (no local cache; the target holds the highlight cache)"
    echo
    echo "## Every run"
    echo
    echo "| tool | case | run | wall s | CPU s (user+sys) | peak RSS MB | files | status |"
    echo "|---|---|---:|---:|---:|---:|---:|---|"
    awk -F'\t' '{printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $8, $5, $6, $7}' "$tsv"
    echo
    echo "## Best of $runs (minimum over the rounds of each column)"
    echo
    echo "| tool | case | wall s | CPU s | peak RSS MB | files |"
    echo "|---|---|---:|---:|---:|---:|"
    awk -F'\t' '$7 == "ok" {
            k = $1 "\t" $2
            if (!(k in w)) { order[++n] = k; w[k] = $4; m[k] = $5; f[k] = $6; c[k] = $8 }
            if ($4 + 0 < w[k] + 0) w[k] = $4
            if ($5 != "-" && $5 + 0 < m[k] + 0) m[k] = $5
            if ($8 != "-" && $8 + 0 < c[k] + 0) c[k] = $8
        }
        END { for (i = 1; i <= n; i++) { k = order[i]; split(k, p, "\t"); printf "| %s | %s | %s | %s | %s | %s |\n", p[1], p[2], w[k], c[k], m[k], f[k] } }' "$tsv"
    echo
    # Ratios from the best of each tool; plus the median of per-round ratios, which pairs runs
    # that saw the same machine load.
    awk -F'\t' '$7 == "ok" && $2 == "full-build" {
            if (!($1 in w) || $4 + 0 < w[$1] + 0) w[$1] = $4
            if ($5 != "-" && (!($1 in m) || $5 + 0 < m[$1] + 0)) m[$1] = $5
            if ($8 != "-" && (!($1 in c) || $8 + 0 < c[$1] + 0)) c[$1] = $8
            rw[$1, $3] = $4
        }
        END {
            if (("hugo" in w) && ("bucketpress" in w) && w["bucketpress"] > 0) {
                printf "**Ratios, full build (Hugo / bucketpress, >1 means bucketpress is better):** wall %.2fx", w["hugo"] / w["bucketpress"]
                if (("hugo" in c) && ("bucketpress" in c) && c["bucketpress"] > 0) printf ", CPU %.2fx", c["hugo"] / c["bucketpress"]
                if (("hugo" in m) && ("bucketpress" in m) && m["bucketpress"] > 0) printf ", peak RSS %.2fx", m["hugo"] / m["bucketpress"]
                n = 0
                for (r = 1; r <= 100; r++) if ((("hugo", r) in rw) && (("bucketpress", r) in rw) && rw["bucketpress", r] > 0) q[++n] = rw["hugo", r] / rw["bucketpress", r]
                if (n > 0) {
                    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (q[j] < q[i]) { t = q[i]; q[i] = q[j]; q[j] = t }
                    printf "; per-round wall ratios:"
                    for (i = 1; i <= n; i++) printf " %.2f", q[i]
                    printf " (median %.2f)", (n % 2) ? q[(n + 1) / 2] : (q[n / 2] + q[n / 2 + 1]) / 2
                }
                printf "\n"
            } else print "_No Hugo run: no ratios._"
        }' "$tsv"
    awk -F'\t' '$7 == "ok" && $1 == "bucketpress" && ($2 == "full-build" || $2 == "check" || $2 == "noop-build" || $2 == "warm-build") {
            if (!($2 in w) || $4 + 0 < w[$2] + 0) w[$2] = $4
            if ($8 != "-" && (!($2 in c) || $8 + 0 < c[$2] + 0)) c[$2] = $8
        }
        END {
            if (("check" in w) && ("full-build" in w) && w["full-build"] > 0) {
                printf "\n**bucketpress render vs write:** check (render only) / full build: wall %.2f", w["check"] / w["full-build"]
                if (("check" in c) && ("full-build" in c) && c["full-build"] > 0) printf ", CPU %.2f", c["check"] / c["full-build"]
                if ("warm-build" in w) printf "; warm (highlight cache) / cold build: wall %.2f", w["warm-build"] / w["full-build"]
                if (("warm-build" in c) && c["full-build"] > 0) printf ", CPU %.2f", c["warm-build"] / c["full-build"]
                if ("noop-build" in w) printf "; no-op rebuild / cold build: wall %.2f", w["noop-build"] / w["full-build"]
                printf "\n"
            }
        }' "$tsv"
    if [[ -s $s3_log ]]; then
        echo
        echo "## Publish to S3 (examples/publish_bench: in-process s3s-fs server, fresh process and no cache each case)"
        echo
        echo '```'
        cat "$s3_log"
        echo '```'
    fi
    awk -F'\t' '$7 == "ok" && $2 == "edit-live-fresh" { w[$1] = $4; c[$1] = $8 }
        $7 == "ok" && $2 == "edit-live-fresh-bucket-cache" { w["shared"] = $4; c["shared"] = $8 }
        END {
            if (("hugo" in w) && ("bucketpress" in w) && w["bucketpress"] > 0) {
                printf "\n**Edit → live on a fresh checkout (one post changed; hugo + hugo deploy vs bucketpress publish, both to file://, no cache):** wall %.2fx", w["hugo"] / w["bucketpress"]
                if (c["bucketpress"] > 0) printf ", CPU %.2fx", c["hugo"] / c["bucketpress"]
                printf "\n"
            }
            if (("hugo" in w) && ("shared" in w) && w["shared"] > 0) {
                printf "\n**The same with highlight_cache_in_bucket (no local cache, the highlight cache taken from the target):** wall %.2fx", w["hugo"] / w["shared"]
                if (c["shared"] > 0) printf ", CPU %.2fx", c["hugo"] / c["shared"]
                printf "\n"
            }
        }' "$tsv"
} >"$results"
echo
cat "$results"
say "wrote $results (raw logs in $logs)"
