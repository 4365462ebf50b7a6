#!/usr/bin/env bash
# Image benchmark (issue #21): N photo-like 12 MP JPEGs processed by bucketpress and by Hugo in
# the same run, cold (empty image cache) and warm (cache kept). Prints a Markdown table.
#
#   bench/images.sh [--photos N] [--width W] [--height H] [--no-build] [--no-hugo]
#
# Needs cargo; optional hugo (apt-get install -y hugo: Debian's is "extended", with WebP) and
# GNU time (apt-get install -y time) for peak memory. Work goes to bench/work/images/.
set -euo pipefail
cd "$(dirname "$0")/.."

photos=200 width=4000 height=3000 build=1 hugo=1
while [ $# -gt 0 ]; do
    case "$1" in
        --photos) photos=$2; shift 2 ;;
        --width) width=$2; shift 2 ;;
        --height) height=$2; shift 2 ;;
        --no-build) build=0; shift ;;
        --no-hugo) hugo=0; shift ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
command -v hugo >/dev/null || hugo=0

work=bench/work/images
LOAD_BEFORE=$(cut -d" " -f1-3 /proc/loadavg)
bin=${BUCKETPRESS:-target/release/bucketpress}
if [ "$build" = 1 ]; then
    cargo build --release --locked --bin bucketpress --example gen_photos >&2
fi
gen=target/release/examples/gen_photos
[ -x "$gen" ] || gen=target/debug/examples/gen_photos   # same bytes, only slower
"$gen" "$work/photos-${width}x${height}" "$photos" "$width" "$height" >&2
src="$work/photos-${width}x${height}"

# The same bundle for both: one post showing every photo.
body=""
for i in $(seq 0 $((photos - 1))); do
    body+="![Photo $i](photo-$(printf %03d "$i").jpg)"$'\n\n'
done

bp="$work/bucketpress"
rm -rf "$bp"
mkdir -p "$bp/content/posts/photos"
printf 'title = "Photos"\nbase_url = "https://bench.example.com/"\n' >"$bp/site.toml"
printf -- '---\ntitle: Photos\ndate: 2024-01-01\n---\n\n%s' "$body" >"$bp/content/posts/photos/index.md"
for i in $(seq 0 $((photos - 1))); do
    ln "$src/photo-$(printf %03d "$i").jpg" "$bp/content/posts/photos/" 2>/dev/null ||
        cp "$src/photo-$(printf %03d "$i").jpg" "$bp/content/posts/photos/"
done

hs="$work/hugo"
if [ "$hugo" = 1 ]; then
    rm -rf "$hs"
    mkdir -p "$hs/content/posts/photos" "$hs/layouts/_default"
    cat >"$hs/config.toml" <<'TOML'
baseURL = "https://bench.example.com/"
title = "Photos"
disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404"]
[imaging]
quality = 80
resampleFilter = "Lanczos"
TOML
    printf -- '---\ntitle: Photos\ndate: 2024-01-01\n---\n\n%s' "$body" >"$hs/content/posts/photos/index.md"
    cp -l "$bp/content/posts/photos/"*.jpg "$hs/content/posts/photos/" 2>/dev/null ||
        cp "$bp/content/posts/photos/"*.jpg "$hs/content/posts/photos/"
    # The same variants as bucketpress's defaults: WebP 480/960/1600 and a 960 JPEG fallback.
    cat >"$hs/layouts/_default/single.html" <<'HTML'
<!doctype html><title>{{ .Title }}</title>
{{ range .Resources.ByType "image" }}
{{ $a := .Resize "480x webp q80" }}{{ $b := .Resize "960x webp q80" }}{{ $c := .Resize "1600x webp q80" }}{{ $d := .Resize "960x jpg q82" }}
<picture><source type="image/webp" srcset="{{ $a.RelPermalink }} 480w, {{ $b.RelPermalink }} 960w, {{ $c.RelPermalink }} 1600w"><img src="{{ $d.RelPermalink }}" width="{{ $d.Width }}" height="{{ $d.Height }}" loading="lazy"></picture>
{{ end }}
HTML
    printf '<!doctype html><title>{{ .Title }}</title>\n' >"$hs/layouts/_default/list.html"
    printf '<!doctype html><title>{{ .Title }}</title>\n' >"$hs/layouts/index.html"
fi

have_time=0
[ -x /usr/bin/time ] && have_time=1
# Runs a command, prints "seconds peak-MiB".
measure() {
    if [ "$have_time" = 1 ]; then
        /usr/bin/time -f '%e %M' -o "$work/time.txt" "$@" >/dev/null 2>"$work/stderr.txt" ||
            { cat "$work/stderr.txt" >&2; exit 1; }
        awk '{ printf "%.2f s | %d MiB", $1, $2 / 1024 }' "$work/time.txt"
    else
        local start end
        start=$(date +%s.%N)
        "$@" >/dev/null 2>"$work/stderr.txt"
        end=$(date +%s.%N)
        echo "$(echo "$end - $start" | bc) s | ?"
    fi
}

bytes=$(du -sb "$src" | cut -f1)
echo "| run | wall | peak RSS |"
echo "| --- | --- | --- |"
rm -rf "$bp/.bucketpress" "$bp/public"
echo "| bucketpress build, cold (empty image cache) | $(measure "$bin" build --site "$bp") |"
echo "| bucketpress build, warm (cache kept, public/ kept) | $(measure "$bin" build --site "$bp") |"
rm -rf "$bp/public"
echo "| bucketpress build, warm (cache kept, public/ removed) | $(measure "$bin" build --site "$bp") |"
if [ "$hugo" = 1 ]; then
    rm -rf "$hs/resources" "$hs/public"
    echo "| hugo, cold (no resources/_gen) | $(measure hugo --quiet --source "$hs") |"
    echo "| hugo, warm (resources/_gen kept) | $(measure hugo --quiet --source "$hs") |"
fi
echo
echo "$photos photos of ${width}x${height}, $((bytes / 1048576)) MiB of JPEG in total;" \
    "variants: $(find "$bp/public/img" -name '*.webp' | wc -l) WebP + $(find "$bp/public/img" -name '*.jpg' | wc -l) JPEG" \
    "($(du -sm "$bp/public/img" | cut -f1) MiB) from bucketpress$(
        [ "$hugo" = 1 ] && echo ", $(find "$hs/public" -name '*.webp' | wc -l) WebP + $(find "$hs/public" -name '*_resize_*.jpg' | wc -l) JPEG ($(du -sm "$hs/public/posts" | cut -f1) MiB) from Hugo")."
echo "Machine: $(nproc) cores, load average before the run: $LOAD_BEFORE"
