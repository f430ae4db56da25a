#!/usr/bin/env bash
# Ladder throughput: one ffmpeg that decodes once and `split`s into every rendition (what the agent runs) against
# one ffmpeg per rendition, each decoding the same input itself, all started together. Same input, same ladder,
# same x264 settings; encodes go to the null muxer so only decoding, scaling and encoding are measured.
# Not run by CI. Needs ffmpeg and hyperfine (apt-get install hyperfine).
#
#   bench/ladder-throughput.sh [seconds-of-input] [runs]
#
# Writes bench/results/ladder-throughput.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

SECONDS_OF_INPUT="${1:-20}"
RUNS="${2:-3}"
PRESET="${LTM_X264_PRESET:-veryfast}"
WORK="$(mktemp -d /tmp/ltm-bench.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
INPUT="$WORK/input.mp4"
RESULT="results/ladder-throughput.md"

command -v hyperfine >/dev/null || { echo "hyperfine is missing: apt-get install hyperfine" >&2; exit 1; }

# The hd-abr preset's ladder below its top rung (a 720p source): name width height kbps.
LADDER=(
  "720p 1280 720 2800"
  "480p 854 480 1400"
  "360p 640 360 800"
  "240p 426 240 400"
)

echo "making a ${SECONDS_OF_INPUT}s 720p30 input" >&2
ffmpeg -hide_banner -loglevel error -y -f lavfi -i "testsrc2=size=1280x720:rate=30" \
  -f lavfi -i "sine=frequency=1000:sample_rate=48000" -t "$SECONDS_OF_INPUT" \
  -c:v libx264 -preset veryfast -crf 18 -g 60 -pix_fmt yuv420p -c:a aac -b:a 128k "$INPUT"

encode_args() { # index kbps -> the per-rendition x264 options the agent uses (see FfmpegCommand.videoEncode)
  local i="$1" kbps="$2"
  echo "-c:v libx264 -preset $PRESET -b:v ${kbps}k -maxrate ${kbps}k -bufsize $((2 * kbps))k -r 30 -g 60 -keyint_min 60 -sc_threshold 0 -pix_fmt yuv420p -c:a aac -b:a 96k"
}

# One process: one decode, split, N scales and N encodes.
graph="[0:v]split=${#LADDER[@]}"
for i in "${!LADDER[@]}"; do graph+="[v$i]"; done
outputs=""
for i in "${!LADDER[@]}"; do
  read -r name w h kbps <<<"${LADDER[$i]}"
  graph+=";[v$i]scale=$w:$h[v${i}out]"
  outputs+=" -map [v${i}out] -map 0:a $(encode_args "$i" "$kbps") -f null /dev/null"
done
SPLIT="ffmpeg -hide_banner -loglevel error -nostdin -y -i $INPUT -filter_complex '$graph'$outputs"

# One process per rendition, all at once (as a per-rendition design would run them).
PER=""
for i in "${!LADDER[@]}"; do
  read -r name w h kbps <<<"${LADDER[$i]}"
  PER+="ffmpeg -hide_banner -loglevel error -nostdin -y -i $INPUT -vf scale=$w:$h $(encode_args "$i" "$kbps") -f null /dev/null & "
done
PER+="wait"

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
hyperfine --warmup 1 --runs "$RUNS" --export-json "$WORK/h.json" --export-markdown "$WORK/h.md" \
  -n "one process, split" "$SPLIT" \
  -n "one process per rendition" "bash -c '$PER'" >&2

# CPU seconds (user + system) of one run of each, children included.
cpu() { /usr/bin/time -f "%U %S" bash -c "$1" 2>&1 >/dev/null | tail -1 | awk '{printf "%.2f", $1 + $2}'; }
CPU_SPLIT="$(cpu "$SPLIT")"
CPU_PER="$(cpu "$PER")"

read -r MEAN_SPLIT MEAN_PER < <(python3 - "$WORK/h.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
print(f'{r[0]["mean"]:.3f} {r[1]["mean"]:.3f}')
PY
)
WALL_RATIO="$(python3 -c "print(f'{$MEAN_PER / $MEAN_SPLIT:.2f}')")"
CPU_RATIO="$(python3 -c "print(f'{$CPU_PER / $CPU_SPLIT:.2f}')")"

{
  echo "# Ladder throughput: one process with split vs one process per rendition"
  echo
  echo "Produced by \`bench/ladder-throughput.sh $SECONDS_OF_INPUT $RUNS\` on $(date -u +%Y-%m-%dT%H:%MZ),"
  echo "$(nproc) CPU cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(ffmpeg -version | head -1 | cut -d' ' -f1-3),"
  echo "x264 preset \`$PRESET\`. Input: ${SECONDS_OF_INPUT} s of 1280x720 30 fps H.264 + AAC. Ladder: 720p 2800k, 480p 1400k,"
  echo "360p 800k, 240p 400k, GOP 2 s. Encodes go to the null muxer. Load average before the runs: $LOAD_BEFORE"
  echo "(other work on the host widens the spread; compare the ratio, not the seconds, across machines)."
  echo
  echo "| | wall time, mean of $RUNS | CPU time (user+sys), one run |"
  echo "| --- | --- | --- |"
  echo "| one process, \`split\` | ${MEAN_SPLIT} s | ${CPU_SPLIT} s |"
  echo "| one process per rendition, in parallel | ${MEAN_PER} s | ${CPU_PER} s |"
  echo "| **ratio** (per rendition / split) | **${WALL_RATIO}×** | **${CPU_RATIO}×** |"
  echo
  echo "A ratio above 1 is what one decode saves: the per-rendition layout decodes the input once per rendition."
  echo "On a busy host wall time follows the other load; the CPU-time ratio is the figure that carries over."
  echo
  echo "hyperfine's own table:"
  echo
  cat "$WORK/h.md"
  echo
  echo "Commands:"
  echo
  echo '```'
  echo "$SPLIT"
  echo
  echo "$PER"
  echo '```'
} | sed "s#$WORK/input.mp4#input.mp4#g" > "$RESULT"
cat "$RESULT"
