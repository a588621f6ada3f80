#!/usr/bin/env bash
# The cluster path end to end on a real one-node Slurm (tools/cluster/local-cluster: munged,
# slurmctld, slurmd on this machine): a synthetic capture submitted with tools/cluster/submit in
# three ranges; one array task is requeued mid-run (what Slurm does when a node fails) and must
# resume after its finished frames; the pack job's stream must decode with every frame once, and
# each range's first frame must track within 1 dB of the frames around it.
# Skipped (77) without root or without Slurm.
# usage: test_slurm.sh DUALSPLAT SOURCE_DIR
set -uo pipefail
dualsplat=$1
source_dir=$2
if [ "$(id -u)" -ne 0 ] || ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    echo "skipping: needs root and Debian's slurm-wlm and munge (tools/setup)"
    exit 77
fi
work=$(mktemp -d)
cluster=$work/cluster
failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}
cleanup() {
    scancel --quiet --full "$(cut -d' ' -f1-3 --output-delimiter=, "$work/out/jobs/ids" 2>/dev/null)" \
        2>/dev/null || true
    "$source_dir/tools/cluster/local-cluster" stop "$cluster"
    rm -rf "$work"
}
trap cleanup EXIT
eval "$("$source_dir/tools/cluster/local-cluster" start "$cluster" 2)" || exit 1

"$dualsplat" synth "$work/capture" --preset test -q
submitted=$("$source_dir/tools/cluster/submit" "$work/capture" "$work/out" --range-frames 4 \
    --segment-frames 4 --cpus 1 --dualsplat "$dualsplat" \
    --fit-args "--joint-iterations 300 --skin-iterations 500" \
    --track-args "--coarse-iterations 80 --fine-iterations 120") || exit 1
echo "$submitted"
read -r fit array pack <"$work/out/jobs/ids"

# wait_for CONDITION-COMMAND SECONDS WHAT
wait_for() {
    local deadline=$((SECONDS + $2))
    until eval "$1"; do
        if [ $SECONDS -gt $deadline ]; then
            fail "timed out waiting for $3"
            squeue
            tail -n 5 "$work"/out/logs/*.log
            return 1
        fi
        sleep 1
    done
}

# Requeue range 1 (frames 4-7) once its first frame is written, as a node failure would.
first_frame=$work/out/ranges/range-001/frames/000004.dsframe
wait_for "[ -f '$first_frame' ]" 900 "range 1's first frame" || exit 1
written=$(stat -c %y "$first_frame")
scontrol requeue "${array}_1" || fail "scontrol requeue ${array}_1 failed"
echo "requeued task ${array}_1 after its frame 4"

wait_for "[ -z \"\$(squeue -h -j $fit,$array,$pack 2>/dev/null)\" ]" 1200 "the jobs to finish" ||
    exit 1
log=$(cat "$work"/out/logs/range-1-*.log)
grep -q "restart 1" <<<"$log" || fail "range 1 did not run again after the requeue: $log"
[ "$(stat -c %y "$first_frame")" = "$written" ] ||
    fail "the requeued range tracked frame 4 again instead of resuming after it"
[ -s "$work/out/stream.dsv" ] || { fail "the pack job wrote no stream: $(cat "$work"/out/logs/pack-*.log)"; exit 1; }

# Every frame once: the stream has 12 frames and all of them decode.
"$dualsplat" probe "$work/out/stream.dsv" | grep -qE "frames +12 at" || fail "the stream is not 12 frames"
"$dualsplat" unpack "$work/out/stream.dsv" -o "$work/frames" -q || fail "the stream does not decode"
[ "$(find "$work/frames" -name '*.ply' | wc -l)" -eq 12 ] || fail "unpack wrote $(find "$work/frames" -name '*.ply' | wc -l) frames"

# Quality at the range boundaries (frames 4 and 8) against the frames around them.
psnr() {
    local f=$1 folder
    folder=$work/out/ranges/range-$(printf %03d $((f / 4)))
    sed -E 's/.*"held_out_psnr": ([0-9.]+).*/\1/' "$folder/frames/$(printf %06d "$f").json"
}
for boundary in 4 8; do
    before=$(psnr $((boundary - 1)))
    at=$(psnr "$boundary")
    after=$(psnr $((boundary + 1)))
    echo "boundary $boundary: held-out PSNR $before | $at | $after dB"
    awk -v b="$before" -v a="$at" -v n="$after" \
        'BEGIN { low = b < n ? b : n; exit !(a >= low - 1.0) }' ||
        fail "frame $boundary ($at dB) is more than 1 dB below the frames around it ($before, $after)"
done
[ $failures -eq 0 ] && echo "cluster test passed"
exit $((failures > 0))
