#!/usr/bin/env bash
# Archive and image-backup throughput against the usual tools, on this machine.
#   SIZE_MB=2048  total size of the segment set (40 MiB files); SIZE_MB=256 for a quick trial
#   IMAGE_MB=1024 size of the image file for the backup comparison
#   CONFIG=release|debug  build configuration of archive-bench
#   REPEAT=3      rounds of the segment contenders; medians are reported
# Every contender ends with `sync`, as the archive job fsyncs each file (and re-reads it to verify).
set -euo pipefail
SIZE_MB=${SIZE_MB:-2048}
IMAGE_MB=${IMAGE_MB:-1024}
CONFIG=${CONFIG:-release}
REPEAT=${REPEAT:-3}
cd "$(dirname "$0")/../.."
swift build -c "$CONFIG" --product archive-bench >/dev/null
BENCH="$(swift build -c "$CONFIG" --show-bin-path)/archive-bench"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/archive-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/src/ROST1" "$WORK/nas"
touch "$WORK/nas/.stationfleet-target"

drop_caches() { sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true; }
now() { date +%s.%N; }
elapsed() { echo "$(now) - $1" | bc -l; }

echo "== generating $SIZE_MB MiB of 40 MiB segments in $WORK"
n=$(( (SIZE_MB + 39) / 40 ))
head -c $((40 << 20)) /dev/urandom > "$WORK/block"
for i in $(seq 1 "$n"); do
  # Each segment differs (a unique 4 KiB head) but generation stays fast.
  { head -c 4096 /dev/urandom; tail -c +4097 "$WORK/block"; } > "$WORK/src/ROST1/ROST1_20260101T$(printf '%06d' "$i").mkv"
done
rm "$WORK/block"
BYTES=$(du -sb "$WORK/src" | cut -f1)

# The disk of a VM is noisy: each contender runs REPEAT times, interleaved, and the median counts.
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
CPS=(); RSYNCS=(); ARCHS=()
for round in $(seq 1 "$REPEAT"); do
  drop_caches; t=$(now); cp -r "$WORK/src" "$WORK/nas/cp"; sync; CPS+=("$(elapsed "$t")")
  drop_caches; t=$(now); rsync -a "$WORK/src/" "$WORK/nas/rsync/"; sync; RSYNCS+=("$(elapsed "$t")")
  drop_caches; t=$(now); "$BENCH" archive --ledger "$WORK/ledger-$round.db" --source "$WORK/src" --target "$WORK/nas/archive" >/dev/null; ARCHS+=("$(elapsed "$t")")
  cmp -s "$WORK/src/ROST1/ROST1_20260101T000001.mkv" "$WORK/nas/archive/ROST1/ROST1_20260101T000001.mkv"
  rm -rf "$WORK/nas/cp" "$WORK/nas/rsync" "$WORK/nas/archive"
  echo "round $round: cp ${CPS[-1]} s, rsync ${RSYNCS[-1]} s, archive ${ARCHS[-1]} s"
done
T_CP=$(median "${CPS[@]}"); T_RSYNC=$(median "${RSYNCS[@]}"); T_ARCH=$(median "${ARCHS[@]}")
rm -rf "$WORK/src"

echo "== generating a $IMAGE_MB MiB image (each MiB: 512 KiB random + 512 KiB zeros)"
for i in $(seq 1 64); do head -c 524288 /dev/urandom; head -c 524288 /dev/zero; done > "$WORK/block"
for i in $(seq 1 $((IMAGE_MB / 64))); do cat "$WORK/block"; done > "$WORK/sd.img"
rm "$WORK/block"
drop_caches; t=$(now); dd if="$WORK/sd.img" bs=4M status=none | zstd -q -c > "$WORK/nas/dd.img.zst"; sync; T_DD=$(elapsed "$t")
drop_caches; t=$(now); "$BENCH" image --source "$WORK/sd.img" --target "$WORK/nas/img" >/dev/null; T_IMG=$(elapsed "$t")
OURS=$(ls "$WORK"/nas/img/*.img.zst)
[ "$(zstd -q -d -c "$OURS" | sha256sum | cut -d' ' -f1)" = "$(sha256sum < "$WORK/sd.img" | cut -d' ' -f1)" ]

mibps() { echo "scale=1; $1 / 1048576 / $2" | bc -l; }
ratio() { echo "scale=2; $1 / $2" | bc -l; }
printf '\n%-34s %9s %10s %8s\n' "median of $REPEAT ($((BYTES >> 20)) MiB segments)" seconds "MiB/s" "vs cp"
printf '%-34s %9.2f %10s %8s\n' "cp -r + sync" "$T_CP" "$(mibps "$BYTES" "$T_CP")" "1.00"
printf '%-34s %9.2f %10s %8s\n' "rsync -a + sync" "$T_RSYNC" "$(mibps "$BYTES" "$T_RSYNC")" "$(ratio "$T_RSYNC" "$T_CP")"
printf '%-34s %9.2f %10s %8s\n' "archive job (fsync+verify)" "$T_ARCH" "$(mibps "$BYTES" "$T_ARCH")" "$(ratio "$T_ARCH" "$T_CP")"
IMG_BYTES=$((IMAGE_MB << 20))
printf '\n%-34s %9s %10s %8s\n' "image backup ($IMAGE_MB MiB)" seconds "MiB/s" "vs dd"
printf '%-34s %9.2f %10s %8s\n' "dd | zstd + sync" "$T_DD" "$(mibps "$IMG_BYTES" "$T_DD")" "1.00"
printf '%-34s %9.2f %10s %8s\n' "image backup job (hash+verify)" "$T_IMG" "$(mibps "$IMG_BYTES" "$T_IMG")" "$(ratio "$T_IMG" "$T_DD")"
printf 'compressed: dd|zstd %s bytes, job %s bytes\n' "$(stat -c %s "$WORK/nas/dd.img.zst")" "$(stat -c %s "$OURS")"
