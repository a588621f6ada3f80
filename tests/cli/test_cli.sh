#!/usr/bin/env bash
# End-to-end tests of the dualsplat command line: usage: test_cli.sh DUALSPLAT DATA_DIR
set -u
dualsplat=$1
data=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# run NAME EXPECTED_EXIT -- ARGS...: runs dualsplat, keeps stdout/stderr in $out/$err.
run() {
    local name=$1 expected=$2
    shift 3
    "$dualsplat" "$@" >"$work/stdout" 2>"$work/stderr"
    local code=$?
    out=$(cat "$work/stdout")
    err=$(cat "$work/stderr")
    if [ "$code" -ne "$expected" ]; then
        fail "$name: exit $code, expected $expected (stderr: $err)"
    fi
}

expect_stdout() { grep -qE -- "$2" <<<"$out" || fail "$1: stdout lacks /$2/: $out"; }
# An error is exactly one line "dualsplat: <what>: <why>" matching the pattern.
expect_error_line() {
    local lines
    lines=$(printf '%s' "$err" | grep -c '')
    [ "$lines" -eq 1 ] || fail "$1: expected one stderr line, got $lines: $err"
    grep -qE -- "^dualsplat: $2" <<<"$err" || fail "$1: stderr is not /^dualsplat: $2/: $err"
}

# ---- help and usage ----
run "help" 0 -- --help
expect_stdout "help" "probe"
expect_stdout "help" "convert"
for command in probe convert; do
    run "$command --help" 0 -- "$command" --help
    expect_stdout "$command --help" "^usage: dualsplat $command"
done
run "version" 0 -- --version
expect_stdout "version" "^dualsplat [0-9]+\.[0-9]+"
run "no command" 2 --
run "unknown command" 2 -- frobnicate
expect_error_line "unknown command" "frobnicate: unknown command"
run "unknown option" 2 -- probe --frobnicate "$data/minimal.splat"
expect_error_line "unknown option" "probe: unknown option '--frobnicate'"
run "missing value" 2 -- convert "$data/minimal.splat" "$work/x.ply" --spz-version
expect_error_line "missing value" "convert: option '--spz-version' needs a value"
run "bad value" 2 -- convert --spz-version 7 "$data/minimal.splat" "$work/x.spz"
expect_error_line "bad value" "convert: --spz-version must be 2, 3 or 4"
run "probe without file" 2 -- probe
expect_error_line "probe without file" "probe: missing FILE"

# ---- probe ----
run "probe biker" 0 -- probe "$data/biker.spz"
expect_stdout "probe biker" "format +Niantic .spz \(version 4\)"
expect_stdout "probe biker" "gaussians +152,746"
expect_stdout "probe biker" "sh degree +0"
expect_stdout "probe biker" "bounds +x \[-0.6213, 0.4143\]"
expect_stdout "probe biker" "opacity logit"
run "probe ply" 0 -- probe "$data/fruit_drops_minimal.ply"
expect_stdout "probe ply" "INRIA 3DGS .ply \(binary little-endian\)"
expect_stdout "probe ply" "sh degree +3"
expect_stdout "probe ply" "f_rest \(all\)"
run "probe json" 0 -- probe --json "$data/minimal.splat"
expect_stdout "probe json" '"format":[[:space:]]+"splat"'
expect_stdout "probe json" '"gaussians":[[:space:]]+4,'
run "probe missing" 1 -- probe "$work/missing.ply"
expect_error_line "probe missing" ".*missing.ply: No such file or directory$"
head -c 1000 "$data/biker.spz" >"$work/truncated.spz"
run "probe truncated" 1 -- probe "$work/truncated.spz"
expect_error_line "probe truncated" ".*truncated.spz: .*"
echo '{"not": "a splat"}' >"$work/notes.json"
run "probe unknown" 1 -- probe "$work/notes.json"
expect_error_line "probe unknown" ".*notes.json: unrecognised file type"
# Several files: each is probed, the exit code reports the failure.
run "probe several" 1 -- probe "$data/minimal.splat" "$work/missing.ply"
expect_stdout "probe several" "antimatter15 .splat"

# ---- convert ----
run "spz to ply" 0 -- convert "$data/biker.spz" "$work/biker.ply"
expect_stdout "spz to ply" "152,746 Gaussians"
run "ply to spz v4" 0 -- convert --spz-version 4 "$work/biker.ply" "$work/biker.spz"
run "probe converted" 0 -- probe "$work/biker.spz"
expect_stdout "probe converted" "version 4"
expect_stdout "probe converted" "gaussians +152,746"
run "ply to splat warns" 0 -- convert "$data/fruit_drops_minimal.ply" "$work/fruit.splat"
grep -q "warning: .splat stores colour only" <<<"$err" || fail "no SH warning: $err"
run "sh degree option" 0 -- convert --sh-degree 1 "$data/fruit_drops_minimal.ply" "$work/f1.ply"
run "probe reduced" 0 -- probe "$work/f1.ply"
expect_stdout "probe reduced" "sh degree +1"
run "ascii ply" 0 -- convert --ply-encoding ascii -q "$data/minimal.splat" "$work/m.ply"
[ -z "$out" ] || fail "--quiet printed: $out"
head -2 "$work/m.ply" | grep -q "format ascii 1.0" || fail "ascii output is not ascii"
run "unknown output" 2 -- convert "$data/minimal.splat" "$work/out.obj"
expect_error_line "unknown output" ".*out.obj: unknown output format"
[ ! -e "$work/out.obj" ] || fail "unknown output format created a file"
run "missing dir" 1 -- convert "$data/minimal.splat" "$work/no/such/out.ply"
expect_error_line "missing dir" ".*out.ply: cannot create"
run "truncated input" 1 -- convert "$work/truncated.spz" "$work/never.ply"
[ ! -e "$work/never.ply" ] && [ ! -e "$work/never.ply.tmp" ] ||
    fail "a failed conversion left output behind"
# Overwriting an existing output replaces it whole.
cp "$data/minimal.splat" "$work/existing.spz"
run "overwrite" 0 -- convert -q "$data/minimal-v2.spz" "$work/existing.spz"
run "probe overwritten" 0 -- probe "$work/existing.spz"
expect_stdout "probe overwritten" "Niantic .spz \(version 3\)"
ls "$work"/*.tmp >/dev/null 2>&1 && fail "temporary files were left behind"

# ---- render ----
png_size() { od -An -tu1 -j16 -N8 "$1" | awk '{print $1*16777216+$2*65536+$3*256+$4 "x" $5*16777216+$6*65536+$7*256+$8}'; }
run "render --help" 0 -- render --help
expect_stdout "render --help" "^usage: dualsplat render"
run "render framed" 0 -- render "$data/biker.spz" -o "$work/biker.png" --size 96x64 --cpu
expect_stdout "render framed" "96x64, [0-9,]+ of 152,746 Gaussians visible"
[ "$(png_size "$work/biker.png")" = "96x64" ] || fail "render wrote a $(png_size "$work/biker.png") image"
run "render camera" 0 -- render "$data/fruit_drops_minimal.ply" -o "$work/fruit.png" \
    --camera 0.75,0.12,-1.3 --look-at 0.75,0.12,-2.13 --fov 40 --size 64x48 --background 1,1,1 -q
[ -s "$work/fruit.png" ] || fail "render --camera wrote nothing"
run "render bad size" 2 -- render "$data/biker.spz" -o "$work/x.png" --size 64by48
expect_error_line "render bad size" "render: --size needs WIDTHxHEIGHT"
run "render view without capture" 2 -- render "$data/biker.spz" -o "$work/x.png" --view 3
expect_error_line "render view without capture" "render: --view and --capture go together"
run "render no output" 2 -- render "$data/biker.spz"
expect_error_line "render no output" "render: missing -o OUT.png"
run "render camera at target" 1 -- render "$data/biker.spz" -o "$work/x.png" --camera 1,1,1 --look-at 1,1,1
expect_error_line "render camera at target" "render: the camera is at the point it looks at"
[ ! -e "$work/x.png" ] || fail "a failed render left an image"

# ---- fit and eval, on the shared HiFi4G frame when it is there ----
capture="$data/../../../shared/data/hifi4g-actor1-greeting/image_white"
run "fit --help" 0 -- fit --help
expect_stdout "fit --help" "^usage: dualsplat fit CAPTURE -o OUTDIR"
run "eval --help" 0 -- eval --help
run "fit missing capture" 1 -- fit "$work/nowhere" -o "$work/fit"
expect_error_line "fit missing capture" ".*nowhere: "
run "fit without output" 2 -- fit "$work/nowhere"
expect_error_line "fit without output" "fit: missing -o OUTDIR"
if [ -d "$capture" ]; then
    run "fit small" 0 -- fit "$capture" -o "$work/fit" --joint-iterations 300 --skin-iterations 300 \
        --max-width 320 --joints 2000 -q
    expect_stdout "fit small" "held-out PSNR [0-9.]+ dB over 11 views"
    for file in joints.ply skin.ply fit.json; do
        [ -s "$work/fit/$file" ] || fail "fit did not write $file"
    done
    psnr=$(sed -n 's/.*"held_out_psnr": \([0-9.]*\).*/\1/p' "$work/fit/fit.json")
    # An empty (white) render scores 15.1 dB on these views.
    awk -v p="$psnr" 'BEGIN { exit !(p > 21) }' || fail "held-out PSNR $psnr dB after a short fit"
    run "probe fitted skin" 0 -- probe "$work/fit/skin.ply"
    expect_stdout "probe fitted skin" "sh degree +3"
    run "eval" 0 -- eval "$work/fit" "$capture" --max-width 320 -o "$work/eval"
    expect_stdout "eval" "^mean +[0-9.]+ +0\.[0-9]+ +\(11 views, 320x180\)"
    ls "$work/eval"/view_*.png >/dev/null 2>&1 || fail "eval wrote no side-by-side images"
    run "eval no holdout" 2 -- eval "$work/fit" "$capture" --max-width 320 --holdout-every 0
    expect_error_line "eval no holdout" ".*no held-out views"
else
    echo "skipping fit and eval: $capture is absent"
fi

# ---- synth: a synthetic capture, read back by the capture reader ----
run "help lists synth" 0 -- --help
expect_stdout "help lists synth" "synth"
run "synth --help" 0 -- synth --help
expect_stdout "synth --help" "^usage: dualsplat synth OUTDIR"
synth="$work/synth"
run "synth test" 0 -- synth "$synth" --preset test
expect_stdout "synth test" "^synth dance: 12 frames x 24 views \(ring\), 160x120, in [0-9.]+ s -> .*synth/image_white"
for file in bones.json image_white/transforms.json image_white/0/0.png image_white/11/23.png; do
    [ -s "$synth/$file" ] || fail "synth did not write $file"
done
pngs=$(find "$synth/image_white" -name '*.png' | wc -l)
[ "$pngs" -eq 288 ] || fail "synth wrote $pngs images, expected 12 frames x 24 views"
[ "$(png_size "$synth/image_white/5/17.png")" = "160x120" ] || fail "synth wrote a $(png_size "$synth/image_white/5/17.png") image"
[ -z "$(find "$synth" -name '*.tmp')" ] || fail "synth left temporary files"
grep -qE '"motion":[[:space:]]+"dance"' "$synth/bones.json" || fail "bones.json does not name the motion"
run "synth again" 1 -- synth "$synth"
expect_error_line "synth again" ".*synth: holds a capture already \(--force replaces it\)"
run "synth force" 0 -- synth "$synth" --force --frames 2 --views 3 --size 64x48 --motion walk \
    --rig dome --seed 7 -q
[ -z "$out" ] || fail "synth --quiet printed: $out"
[ ! -e "$synth/image_white/2" ] || fail "synth --force left the old capture's frame 2"
[ ! -e "$synth/image_white/0/3.png" ] || fail "synth --force left the old capture's view 3"
# The capture reader takes the cameras as they were written: render a splat from view 1.
run "render synth view" 0 -- render "$data/minimal.splat" -o "$work/synth_view.png" --view 1 \
    --capture "$synth" -q
[ "$(png_size "$work/synth_view.png")" = "64x48" ] || fail "render --view of a synth capture is $(png_size "$work/synth_view.png")"
run "synth bad motion" 2 -- synth "$work/synth2" --motion jump
expect_error_line "synth bad motion" "synth: --motion must be walk, turn, wave or dance, not 'jump'"
run "synth bad preset" 2 -- synth "$work/synth2" --preset huge
expect_error_line "synth bad preset" "synth: --preset must be test or bench, not 'huge'"
run "synth bad rig" 2 -- synth "$work/synth2" --rig sphere
expect_error_line "synth bad rig" "synth: --rig must be ring or dome"
run "synth bad size" 2 -- synth "$work/synth2" --size 160
expect_error_line "synth bad size" "synth: --size needs WIDTHxHEIGHT, not '160'"
run "synth bad views" 2 -- synth "$work/synth2" --views 0
expect_error_line "synth bad views" "synth: --views must be 1-10000, not '0'"
run "synth no folder" 2 -- synth
expect_error_line "synth no folder" "synth: expected one OUTDIR, got 0"
[ ! -e "$work/synth2" ] || fail "synth with bad options created its folder"
run "synth missing parent" 1 -- synth "$work/no/such/synth"
expect_error_line "synth missing parent" ".*no/such/synth: cannot create the output folder: No such file or directory"

# ---- streams: pack, probe, render --frame, unpack ----
stream=$work/fruit.dsv
run "pack static" 0 -- pack "$data/fruit_drops_minimal.ply" -o "$stream" -q
expect_stdout "pack static" "1 frame of 4,721 skin Gaussians on 1 joint,"
expect_stdout "pack static" "bits per Gaussian"
run "probe stream" 0 -- probe "$stream"
expect_stdout "probe stream" "up axis +unspecified \(-y\)"
expect_stdout "probe stream" "dualsplat .dsv stream, version 1\.1"
expect_stdout "probe stream" "frames +1 at 30 fps"
expect_stdout "probe stream" "raw \.ply frames"
run "probe stream json" 0 -- probe --json "$stream"
expect_stdout "probe stream json" '"format":[[:space:]]+"dsv"'
expect_stdout "probe stream json" '"bits_per_gaussian_per_frame":[[:space:]]+[0-9]'
run "render stream" 0 -- render "$stream" --frame 0 --size 64x48 -o "$work/stream.png" -q
[ "$(png_size "$work/stream.png")" = "64x48" ] || fail "render of a stream is $(png_size "$work/stream.png")"
run "render stream past end" 1 -- render "$stream" --frame 5 -o "$work/stream5.png" -q
expect_error_line "render stream past end" ".*fruit.dsv: frame 5 is past the stream's 1 frames"
run "render frame of a splat" 1 -- render "$data/minimal.splat" --frame 2 -o "$work/x.png" -q
expect_error_line "render frame of a splat" ".*--frame applies to .dsv streams only"
run "unpack" 0 -- unpack "$stream" -o "$work/unpacked" -q
[ -f "$work/unpacked/point_cloud_0.ply" ] || fail "unpack wrote no point_cloud_0.ply"
run "probe unpacked" 0 -- probe "$work/unpacked/point_cloud_0.ply"
expect_stdout "probe unpacked" "4,721"
run "pack no output" 2 -- pack "$data/fruit_drops_minimal.ply"
expect_error_line "pack no output" "pack: no output given \(-o OUT.dsv\)"
run "pack renditions" 0 -- pack "$data/minimal.splat" -o "$work/rend.json" --renditions low,high -q
[ -f "$work/rend-low.dsv" ] && [ -f "$work/rend-high.dsv" ] || fail "pack --renditions wrote: $(ls "$work")"
run "probe renditions" 0 -- probe "$work/rend.json"
expect_stdout "probe renditions" "renditions manifest, 2 renditions of 1 frame in segments of 50"
expect_stdout "probe renditions" "^  high +[0-9.]+ [kM]?B, [0-9.]+ Mbit/s"
run "pack renditions to a .dsv" 2 -- pack "$data/minimal.splat" -o "$work/x.dsv" --renditions low
expect_error_line "pack renditions to a .dsv" "pack: with --renditions, -o names the manifest: OUT.json"
run "pack unknown rendition" 2 -- pack "$data/minimal.splat" -o "$work/x.json" --renditions low,ultra
expect_error_line "pack unknown rendition" "pack: unknown quality preset 'ultra'"
printf '{"dualsplat_renditions": 1, "renditions": []}' >"$work/bad.json"
run "probe bad manifest" 1 -- probe "$work/bad.json"
expect_error_line "probe bad manifest" ".*bad.json: renditions manifest: 'frames', 'fps' and 'segment_frames'"
run "pack up" 0 -- pack "$data/minimal.splat" -o "$work/up.dsv" --up -z -q
run "probe up" 0 -- probe "$work/up.dsv"
expect_stdout "probe up" "up axis +-z"
run "pack bad up" 2 -- pack "$data/minimal.splat" -o "$work/x.dsv" --up sideways
expect_error_line "pack bad up" "pack: --up needs \+x, -x, \+y, -y, \+z or -z, not 'sideways'"
run "pack bad preset" 2 -- pack "$data/minimal.splat" -o "$work/x.dsv" --quality ultra
expect_error_line "pack bad preset" "pack: unknown quality preset 'ultra' \(choose low, default, high, lossless\)"
run "pack bad codec" 2 -- pack "$data/minimal.splat" -o "$work/x.dsv" --codec mpeg2
expect_error_line "pack bad codec" "pack: .*mpeg2"
run "pack missing input" 1 -- pack "$work/nothing" -o "$work/x.dsv"
expect_error_line "pack missing input" ".*nothing: no such file or folder"
mkdir -p "$work/gappy"
cp "$data/minimal.splat" "$work/gappy/x.txt"
run "pack empty folder" 1 -- pack "$work/gappy" -o "$work/x.dsv"
expect_error_line "pack empty folder" ".*holds no point_cloud_<n>.ply frames"
"$dualsplat" convert "$data/fruit_drops_minimal.ply" "$work/gappy/point_cloud_0.ply" >/dev/null
"$dualsplat" convert "$data/fruit_drops_minimal.ply" "$work/gappy/point_cloud_2.ply" >/dev/null
run "pack gap" 1 -- pack "$work/gappy" -o "$work/x.dsv"
expect_error_line "pack gap" ".*point_cloud_1.ply is missing"
[ ! -e "$work/x.dsv" ] && [ ! -e "$work/x.dsv.tmp" ] || fail "a failed pack left a file"
# A truncated stream: probe reports the missing segment and fails; unpack writes what it can.
"$dualsplat" pack "$data/fruit_drops_minimal.ply" -o "$work/one.dsv" -q >/dev/null
head -c 100 "$work/one.dsv" >"$work/short.dsv"
run "probe truncated header" 1 -- probe "$work/short.dsv"
expect_error_line "probe truncated header" ".*short.dsv: the stream is truncated"
size=$(stat -c %s "$stream")
head -c $((size - 10)) "$stream" >"$work/cut.dsv"
run "probe truncated" 1 -- probe "$work/cut.dsv"
grep -q "cannot be read" <<<"$err" || fail "probe of a truncated stream did not report it: $err"
run "unpack truncated" 1 -- unpack "$work/cut.dsv" -o "$work/cut" -q
grep -q "segment 0 (frames 0-0) is missing" <<<"$err" || fail "unpack of a truncated stream: $err"
# encode: fit + track + pack of a tiny synthetic capture, then the stream it made.
"$dualsplat" synth "$work/enc" --frames 3 --views 6 --size 64x48 -q >/dev/null
run "encode" 0 -- encode "$work/enc" -o "$work/enc.dsv" --joint-iterations 20 \
    --skin-iterations 20 --fine-iterations 3 -q
run "probe encoded" 0 -- probe "$work/enc.dsv"
expect_stdout "probe encoded" "frames +3 at 30 fps"
# The synthetic rig's cameras stand upright in a +y-up world: encode stores that.
expect_stdout "probe encoded" "up axis +\+y"
[ -f "$work/enc.dsv.work/track/frames/000002.dsframe" ] || fail "encode kept no tracking"
run "encode bad frames" 2 -- encode "$work/enc" -o "$work/enc2.dsv" --frames 1:2
expect_error_line "encode bad frames" "encode: --frames must start at 0"
# Independent ranges (as cluster jobs track them) joined by pack; and what pack refuses.
enc_fit="$work/enc.dsv.work/fit"
run "track range 1" 0 -- track "$work/enc" --from "$enc_fit" -o "$work/ra" --frames 1:1 \
    --coarse-iterations 2 --fine-iterations 2 -q
run "track range 2" 0 -- track "$work/enc" --from "$enc_fit" -o "$work/rb" --frames 2:2 \
    --coarse-iterations 2 --fine-iterations 2 -q
[ ! -e "$work/rb/frames/000001.dsframe" ] || fail "a range tracked the frames before it"
grep -q '"rigidity_to": "first"' "$work/ra/track.json" || fail "track.json lacks its rigidity reference"
run "track bad rigidity" 2 -- track "$work/enc" --from "$enc_fit" -o "$work/rc" --rigidity-to last
expect_error_line "track bad rigidity" "track: --rigidity-to must be first or previous, not 'last'"
[ ! -e "$work/rc" ] || fail "a refused track made its output folder"
run "pack ranges" 0 -- pack "$work/ra" "$work/rb" -o "$work/joined.dsv" -q
run "probe joined" 0 -- probe "$work/joined.dsv"
expect_stdout "probe joined" "frames +3 at 30 fps"
run "pack overlapping ranges" 1 -- pack "$work/ra" "$work/ra" -o "$work/bad.dsv" -q
expect_error_line "pack overlapping ranges" ".*frame 1 is in both .*ra and .*ra: the ranges overlap"
cp -r "$work/ra" "$work/rz"
rm "$work/rz/frames/000001".*
run "pack missing range" 1 -- pack "$work/rz" "$work/rb" -o "$work/bad.dsv" -q
expect_error_line "pack missing range" ".*frame 1 is missing: no range given holds them.*"
cp -r "$work/rb" "$work/rf"
printf 'x' | dd of="$work/rf/canonical_skin.ply" bs=1 seek=400 conv=notrunc 2>/dev/null
run "pack foreign range" 1 -- pack "$work/ra" "$work/rf" -o "$work/bad.dsv" -q
expect_error_line "pack foreign range" ".*rf was tracked from another fit than .*ra \(their canonical_skin.ply differ\).*"
run "pack range and splat" 1 -- pack "$work/ra" "$data/minimal.splat" -o "$work/bad.dsv" -q
expect_error_line "pack range and splat" ".*minimal.splat: not a tracking output; only tracked ranges are joined"
[ ! -e "$work/bad.dsv" ] || fail "a refused pack left a stream"

# ---- the GL renderer without a display (headless EGL), videos, PNG sequences, the player ----
# Mesa's EGL keeps allocations it never frees once its driver is unloaded, where no suppression
# can name them; leak checking (in sanitizer builds) is off for these runs only.
nodisplay() { env -u DISPLAY -u WAYLAND_DISPLAY ASAN_OPTIONS=detect_leaks=0 "$@"; }
"$dualsplat" pack "$data/minimal.splat" -o "$work/static.dsv" -q >/dev/null
run "render gpu" 0 -- render "$data/fruit_drops_minimal.ply" -o "$work/gpu.png" --size 64x48
expect_stdout "render gpu" "64x48, [0-9,]+ of 4,721 Gaussians visible \(OpenGL\)"
nodisplay "$dualsplat" render "$data/fruit_drops_minimal.ply" -o "$work/headless.png" --size 64x48 \
    >"$work/stdout" 2>&1 || fail "headless render failed: $(cat "$work/stdout")"
grep -q "(OpenGL)" "$work/stdout" || fail "headless render did not use OpenGL: $(cat "$work/stdout")"
nodisplay "$dualsplat" render "$work/enc.dsv" -o "$work/orbit.mp4" --size 64x48 --path orbit \
    --fps 20 --duration 0.5 >"$work/stdout" 2>&1 || fail "render mp4: $(cat "$work/stdout")"
grep -q "10 frames, 64x48, libx264" "$work/stdout" || fail "render mp4 said: $(cat "$work/stdout")"
head -c 12 "$work/orbit.mp4" | grep -q ftyp || fail "render mp4 wrote no MP4"
[ ! -e "$work/orbit.mp4.tmp" ] || fail "render mp4 left its temporary file"
# A stream with sound: its video carries the sound (AAC), as long as the pictures; --no-sound
# leaves it out. tests/player/test_video_writer.c decodes and times such a track.
make_sequence="$(dirname "$dualsplat")/tools/sequence/make_ply_sequence"
# The big-endian 32-bit number at byte $2 of file $1.
be32() { od -An -tu1 -j "$2" -N 4 "$1" | awk '{print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4}'; }
# Each track's duration in milliseconds, from the index (at the front: tkhd version 0, in the
# movie's time scale, which FFmpeg sets to 1000).
mp4_track_ms() {
    grep -obUa tkhd "$1" | head -4 | cut -d: -f1 | while read -r at; do be32 "$1" $((at + 24)); done
}
if [ -x "$make_sequence" ]; then
    "$make_sequence" "$data/fruit_drops_minimal.ply" "$work/clicks" --frames 20 --subsample 8 \
        --flash-every 7 --click-wav "$work/clicks.wav" --quiet || fail "make_ply_sequence failed"
    "$dualsplat" pack "$work/clicks" -o "$work/clicks.dsv" --audio "$work/clicks.wav" \
        --segment-frames 8 -q >/dev/null || fail "pack --audio failed"
    nodisplay "$dualsplat" render "$work/clicks.dsv" -o "$work/sound.mp4" --size 64x48 \
        >"$work/stdout" 2>&1 || fail "render with sound: $(cat "$work/stdout")"
    grep -q "20 frames, 64x48, libx264 with AAC sound" "$work/stdout" ||
        fail "render with sound said: $(cat "$work/stdout")"
    grep -qa mp4a "$work/sound.mp4" || fail "render with sound wrote no AAC track"
    read -r video_ms sound_ms extra < <(mp4_track_ms "$work/sound.mp4" | tr '\n' ' ')
    [ -n "${sound_ms:-}" ] && [ -z "${extra:-}" ] ||
        fail "render with sound wrote tracks of $(mp4_track_ms "$work/sound.mp4" | tr '\n' ' ')ms"
    # 20 frames at 30 fps; the sound within an AAC frame (1024 samples, 21 ms) of the pictures.
    [ "${video_ms:-0}" -ge 666 ] && [ "${video_ms:-0}" -le 667 ] ||
        fail "render with sound: the video lasts ${video_ms:-?} ms"
    apart=$((${sound_ms:-0} - ${video_ms:-0}))
    [ "$apart" -ge -21 ] && [ "$apart" -le 21 ] ||
        fail "render with sound: the sound lasts ${sound_ms:-?} ms, the video ${video_ms:-?} ms"
    nodisplay "$dualsplat" render "$work/clicks.dsv" -o "$work/mute.mp4" --size 64x48 --no-sound \
        >"$work/stdout" 2>&1 || fail "render --no-sound: $(cat "$work/stdout")"
    grep -q "20 frames, 64x48, libx264, in" "$work/stdout" ||
        fail "render --no-sound said: $(cat "$work/stdout")"
    ! grep -qa mp4a "$work/mute.mp4" || fail "render --no-sound wrote an AAC track"
    [ "$(mp4_track_ms "$work/mute.mp4" | wc -l)" -eq 1 ] ||
        fail "render --no-sound wrote more than the video's track"
    [ "$(stat -c %s "$work/sound.mp4")" -gt "$(stat -c %s "$work/mute.mp4")" ] ||
        fail "the video with sound is no larger than the one without"
fi
run "render png sequence" 0 -- render "$work/enc.dsv" -o "$work/seq/%03d.png" --size 64x48 -q
[ -f "$work/seq/000.png" ] && [ -f "$work/seq/002.png" ] && [ ! -e "$work/seq/003.png" ] ||
    fail "render png sequence wrote: $(ls "$work/seq" 2>&1)"
run "render bad pattern" 1 -- render "$work/enc.dsv" -o "$work/seq/%s%d.png" -q
expect_error_line "render bad pattern" ".*a PNG sequence pattern takes one %d"
run "render cpu video" 2 -- render "$work/enc.dsv" -o "$work/x.mp4" --cpu
expect_error_line "render cpu video" "render: --cpu renders single images, not videos"
run "render path to png" 2 -- render "$work/enc.dsv" -o "$work/x.png" --path orbit
expect_error_line "render path to png" "render: --path, --duration, --fps and --codec need a video"
run "render unknown output" 2 -- render "$work/enc.dsv" -o "$work/x.avi"
expect_error_line "render unknown output" "render: .*x.avi: write a .png"
run "render bad path file" 1 -- render "$work/enc.dsv" -o "$work/x.mp4" --path "$work/nothing.json"
expect_error_line "render bad path file" ".*nothing.json: "
[ ! -e "$work/x.mp4" ] && [ ! -e "$work/x.mp4.tmp" ] || fail "a failed render left a video"
# Ctrl-C in the middle of a long video leaves nothing that looks whole.
nodisplay timeout -s INT 3 "$dualsplat" render "$work/static.dsv" -o "$work/long.mp4" \
    --size 64x48 --path orbit --duration 3600 -q >/dev/null 2>&1
[ ! -e "$work/long.mp4" ] && [ ! -e "$work/long.mp4.tmp" ] || fail "an interrupted render left a video"
nodisplay timeout -s TERM 3 "$dualsplat" render "$work/static.dsv" -o "$work/long.mp4" \
    --size 64x48 --path orbit --duration 3600 -q >/dev/null 2>&1
[ ! -e "$work/long.mp4" ] && [ ! -e "$work/long.mp4.tmp" ] || fail "a terminated render left a video"
run "play --help" 0 -- play --help
expect_stdout "play --help" "^usage: dualsplat play"
run "play missing" 1 -- play "$work/nothing.dsv"
expect_error_line "play missing" ".*nothing.dsv: cannot read it"
nodisplay "$dualsplat" play "$work/enc.dsv" >"$work/stdout" 2>"$work/stderr"
[ $? -eq 1 ] || fail "play without a display did not fail"
grep -q "^dualsplat: play: no display .*dualsplat render" "$work/stderr" ||
    fail "play without a display said: $(cat "$work/stderr")"
if command -v xvfb-run >/dev/null; then
    xvfb-run -a -s "-screen 0 640x480x24" "$dualsplat" play "$work/enc.dsv" --frames 7 \
        --every-frame --no-vsync --debug --json --size 160x120 --screenshot-after 3 \
        --screenshots "$work" >"$work/stdout" 2>"$work/stderr" ||
        fail "scripted play failed: $(cat "$work/stderr")"
    grep -q "screenshot: .*dualsplat-frame00002-1.png" "$work/stderr" ||
        fail "scripted play made no screenshot: $(cat "$work/stderr")"
    [ "$(png_size "$work/dualsplat-frame00002-1.png")" = "160x120" ] ||
        fail "the screenshot is $(png_size "$work/dualsplat-frame00002-1.png")"
    grep -q '"frames_shown": 7,.*"dropped": 0,.*"gl_errors": 0' "$work/stdout" ||
        fail "scripted play reported: $(cat "$work/stdout") $(cat "$work/stderr")"
    # With no file: the bundled sample, every frame of a loop and a half, with GL debug output.
    xvfb-run -a -s "-screen 0 640x480x24" "$dualsplat" play --frames 135 --every-frame \
        --no-vsync --debug --json --size 320x240 >"$work/stdout" 2>"$work/stderr" ||
        fail "scripted play of the sample failed: $(cat "$work/stderr")"
    grep -q '"frames_shown": 135,.*"dropped": 0, "skipped": 0,.*"gl_errors": 0' "$work/stdout" ||
        fail "scripted play of the sample reported: $(cat "$work/stdout") $(cat "$work/stderr")"
    xvfb-run -a -s "-screen 0 640x480x24" "$dualsplat" play "$work/enc.dsv" --exit --every-frame \
        --no-vsync --camera-path orbit --size 160x120 -q >"$work/stdout" 2>"$work/stderr" ||
        fail "play --exit failed: $(cat "$work/stderr")"
fi

# ---- sound: pack --audio, probe, play with the sound leading ----
sequence_tool=$(dirname "$dualsplat")/tools/sequence/make_ply_sequence
"$sequence_tool" "$data/biker.spz" "$work/flashes" --frames 30 --subsample 100 --flash-every 7 \
    --click-wav "$work/clicks.wav" --quiet || fail "make_ply_sequence --click-wav failed"
run "pack sound" 0 -- pack "$work/flashes" -o "$work/sound.dsv" --segment-frames 10 \
    --audio "$work/clicks.wav" -q
run "probe sound" 0 -- probe "$work/sound.dsv"
expect_stdout "probe sound" "version 1\.2"
expect_stdout "probe sound" "sound +opus, stereo, 48000 Hz"
run "probe sound json" 0 -- probe "$work/sound.dsv" --json
expect_stdout "probe sound json" '"codec":[[:space:]]*"opus"'
run "pack flac sound" 0 -- pack "$work/flashes" -o "$work/flac.dsv" --audio "$work/clicks.wav" \
    --audio-codec flac --audio-offset -0.5 -q
run "probe flac sound" 0 -- probe "$work/flac.dsv"
expect_stdout "probe flac sound" "sound +flac"
run "pack sound missing" 1 -- pack "$work/flashes" -o "$work/x.dsv" --audio "$work/none.wav" -q
expect_error_line "pack sound missing" "pack: .*none.wav: cannot open the sound file"
run "pack no sound in file" 1 -- pack "$work/flashes" -o "$work/x.dsv" --audio "$data/biker.spz"
expect_error_line "pack no sound in file" "pack: .*biker.spz: "
run "pack offset alone" 2 -- pack "$work/flashes" -o "$work/x.dsv" --audio-offset 1
expect_error_line "pack offset alone" "pack: --audio-offset, --audio-codec and --audio-bitrate need"
run "pack bad codec" 2 -- pack "$work/flashes" -o "$work/x.dsv" --audio "$work/clicks.wav" \
    --audio-codec mp3
expect_error_line "pack bad codec" "pack: --audio-codec needs opus, aac or flac, not 'mp3'"
[ ! -e "$work/x.dsv" ] || fail "a failed pack left its output"
if command -v xvfb-run >/dev/null; then
    # SDL's dummy device plays in real time: the sound leads through random seeks.
    SDL_AUDIODRIVER=dummy xvfb-run -a -s "-screen 0 640x480x24" "$dualsplat" play \
        "$work/sound.dsv" --random-seeks 4 --no-vsync --json --size 160x120 \
        >"$work/stdout" 2>"$work/stderr" || fail "play with sound failed: $(cat "$work/stderr")"
    grep -q '"sound": true' "$work/stdout" || fail "play with sound: $(cat "$work/stdout")"
    SDL_AUDIODRIVER=dummy xvfb-run -a -s "-screen 0 640x480x24" "$dualsplat" play \
        "$work/sound.dsv" --frames 20 --no-sound --json --size 160x120 >"$work/stdout" \
        2>"$work/stderr" || fail "play --no-sound failed: $(cat "$work/stderr")"
    grep -q '"frames_shown": 20,.*"sound": false' "$work/stdout" ||
        fail "play --no-sound: $(cat "$work/stdout")"
    # No sound device: said once, and the picture plays on by the wall clock.
    SDL_AUDIODRIVER=nonexistent xvfb-run -a -s "-screen 0 640x480x24" "$dualsplat" play \
        "$work/sound.dsv" --frames 20 --json --size 160x120 >"$work/stdout" 2>"$work/stderr" ||
        fail "play without a sound device failed: $(cat "$work/stderr")"
    grep -q "^dualsplat: no sound output: .*; playing without sound" "$work/stderr" ||
        fail "play without a sound device said: $(cat "$work/stderr")"
    grep -q '"frames_shown": 20,' "$work/stdout" || fail "play without a sound device: $(cat "$work/stdout")"
    # Keys through the player's own event handling: pause, frame 0, next segment (10), two
    # frames on and one back, loop off, double speed twice, mute, volume down twice, quit.
    SDL_AUDIODRIVER=dummy xvfb-run -a -s "-screen 0 640x480x24" "$dualsplat" play \
        "$work/sound.dsv" --size 160x120 --no-vsync --json \
        --keys '5:Space;8:Home;10:Up;12:.;13:.;14:,;16:L;17:=;18:=;19:M;20:9;21:9;22:Escape' \
        >"$work/stdout" 2>"$work/stderr" || fail "play --keys failed: $(cat "$work/stderr")"
    grep -q '"clock_frame": 11, "paused": true, "looping": false, "speed": 4, "muted": true, '\
'"volume_percent": 80' "$work/stdout" || fail "play --keys ended as: $(cat "$work/stdout")"
    # A file dropped on the window plays instead; one that does not open is said, and the
    # current one plays on.
    SDL_AUDIODRIVER=dummy xvfb-run -a -s "-screen 0 640x480x24" "$dualsplat" play \
        "$work/sound.dsv" --size 160x120 --no-vsync \
        --keys "5:drop=$work/nothing.dsv;8:drop=$work/flac.dsv;20:Escape" \
        >"$work/stdout" 2>"$work/stderr" || fail "play with drops failed: $(cat "$work/stderr")"
    grep -q "^dualsplat: .*nothing.dsv: .*(still playing .*sound.dsv)" "$work/stderr" ||
        fail "a bad drop said: $(cat "$work/stderr")"
    grep -q "^dualsplat: playing .*flac.dsv" "$work/stderr" ||
        fail "a drop said: $(cat "$work/stderr")"
fi
run "play bad keys" 2 -- play "$work/sound.dsv" --keys "5:Spaceship"
expect_error_line "play bad keys" "play: --keys: 'Spaceship' is not a key"

for command in pack unpack encode; do
    run "$command --help" 0 -- "$command" --help
    expect_stdout "$command --help" "^usage: dualsplat $command"
done

if [ "$failures" -ne 0 ]; then
    echo "$failures CLI check(s) failed" >&2
    exit 1
fi
echo "all CLI checks passed"
