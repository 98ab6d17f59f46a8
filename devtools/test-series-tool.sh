#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# devtools/series.sh on a made-up series over a made-up QEMU, in seconds:
# commit 1 adds a new file (hw/dev.c) and edits QEMU's meson.build; commit 2
# changes that new file and meson.build again; commit 3 adds a test.  The
# tree keeps hw/dev.c in its final form, so:
#   - import of the three commits lists each new file under its commit and
#     keeps commit 2's change of hw/dev.c as a hunk of its patch;
#   - apply leaves that hunk out (hw/dev.c is not there to patch) and
#     applies every change to QEMU's own files;
#   - export gives back the three commits tree for tree: commit 1 has
#     hw/dev.c without commit 2's change;
#   - export is the same every time (so caches keyed by it hit);
#   - a patch that changes a new file of a later commit is refused.
set -euo pipefail
. "$(dirname "$0")/common.sh"

t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
failed=0
ok() { echo "PASS: $1"; }
bad() { echo "FAIL: $1"; failed=$((failed + 1)); }

# The made-up repository: the series tool and an empty series.
mkdir -p "$t/top/devtools" "$t/top/patches"
cp "$TOP/devtools/series.sh" "$TOP/devtools/common.sh" "$t/top/devtools/"
printf '# A made-up series.\n' >"$t/top/patches/series"
printf 'the cover letter\n\nits text\n' >"$t/top/patches/cover-letter"

# The made-up QEMU, and the series as commits on it.
export GIT_AUTHOR_NAME=test GIT_AUTHOR_EMAIL=test@localhost
export GIT_COMMITTER_NAME=test GIT_COMMITTER_EMAIL=test@localhost
git init -q "$t/q"
g() { git -C "$t/q" "$@"; }
printf 'project\nfiles(\n  old.c,\n)\n' >"$t/q/meson.build"
printf 'int old;\n' >"$t/q/old.c"
g add -A && g commit -q -m "QEMU"
base=$(g rev-parse HEAD)
mkdir -p "$t/q/hw" "$t/q/tests"
printf 'files(\n  old.c,\n  hw/dev.c,\n)\n' >"$t/q/meson.build.new"
sed -i 's|^  old.c,$|  old.c,\n  hw/dev.c,|' "$t/q/meson.build"
printf '/* the device */\nint dev_init(void)\n{\n    return 0;\n}\n' >"$t/q/hw/dev.c"
rm "$t/q/meson.build.new"
g add -A && g commit -q -m "hw: add the device" -m "Its skeleton."
sed -i 's|^    return 0;$|    return dev_media();|' "$t/q/hw/dev.c"
printf 'int dev_media(void);\n' | cat - "$t/q/hw/dev.c" >"$t/dev.c" && mv "$t/dev.c" "$t/q/hw/dev.c"
printf 'int dev_media(void)\n{\n    return 1;\n}\n' >>"$t/q/hw/dev.c"
sed -i 's|^project$|project  # with media|' "$t/q/meson.build"
g add -A && g commit -q -m "hw/dev: media" -m "A later change to the device."
printf 'int test;\n' >"$t/q/tests/test-dev.c"
g add -A && g commit -q -m "tests: the device's test"
tip=$(g rev-parse HEAD)

# --- import
"$t/top/devtools/series.sh" import "$t/q/.git" "$base" "$tip" >/dev/null
if [ "$(grep -v '^#' "$t/top/patches/series" | tr '\n' ' ')" = \
     "0001-hw-add-the-device.patch     hw/dev.c 0002-hw-dev-media.patch 0003-tests-the-device-s-test.patch     tests/test-dev.c " ]; then
    ok "import lists each new file under the commit that adds it"
else
    bad "import's series: $(cat "$t/top/patches/series")"
fi
cmp -s "$t/top/hw/dev.c" "$t/q/hw/dev.c" && ok "import keeps hw/dev.c in its final form" ||
    bad "import's hw/dev.c is not the final one"
if grep -q '^+++ b/hw/dev.c$' "$t/top/patches/0002-hw-dev-media.patch" &&
   ! grep -q '^+++ b/hw/dev.c$' "$t/top/patches/0001-hw-add-the-device.patch"; then
    ok "commit 2's change of the new file stays a hunk of its patch; commit 1's patch has no copy of the file"
else
    bad "the patches do not hold hw/dev.c as expected"
fi

# --- apply
mkdir "$t/applied"
g archive "$base" | tar -x -C "$t/applied"
if "$t/top/devtools/series.sh" apply "$t/applied" &&
   cmp -s "$t/applied/meson.build" "$t/q/meson.build" && [ ! -e "$t/applied/hw/dev.c" ]; then
    ok "apply makes QEMU's own files final and leaves the new file's hunk to the tree"
else
    bad "apply: $(diff "$t/applied/meson.build" "$t/q/meson.build" || true)"
fi

# --- export, compared commit by commit
git clone -q --bare "$t/q" "$t/base.git"
git -C "$t/base.git" update-ref HEAD "$base"
"$t/top/devtools/series.sh" export "$t/base.git" "$t/out" >/dev/null
sleep 1
"$t/top/devtools/series.sh" export "$t/base.git" "$t/again" >/dev/null
diff -r "$t/out" "$t/again" >/dev/null && ok "export is the same every time (dates and commits from the patches)" ||
    bad "two exports differ: $(diff -r "$t/out" "$t/again" | head -n 5)"
git clone -q "$t/base.git" "$t/re"
git -C "$t/re" checkout -q --detach "$base"
git -C "$t/re" am -q "$t"/out/000[1-9]-*.patch
same=0
for i in 2 1 0; do
    [ "$(git -C "$t/re" rev-parse "HEAD~$i^{tree}")" = "$(g rev-parse "$tip~$i^{tree}")" ] &&
        same=$((same + 1))
done
[ $same = 3 ] && ok "export gives back the 3 commits, tree for tree" ||
    bad "export: $same of 3 commits have the original tree"
git -C "$t/re" show HEAD~2:hw/dev.c | grep -q dev_media &&
    bad "export's commit 1 has commit 2's change of hw/dev.c" ||
    ok "export's commit 1 has hw/dev.c without commit 2's change"

# --- a change to a new file that no earlier patch adds
cp "$t/top/patches/0002-hw-dev-media.patch" "$t/keep"
{ sed -n '1,/^---$/p' "$t/keep"
  printf 'diff --git a/tests/test-dev.c b/tests/test-dev.c\n--- a/tests/test-dev.c\n+++ b/tests/test-dev.c\n@@ -1 +1,2 @@\n int test;\n+int more;\n'
} >"$t/top/patches/0002-hw-dev-media.patch"
if out=$("$t/top/devtools/series.sh" export "$t/base.git" "$t/out2" 2>&1); then
    bad "export took a change to tests/test-dev.c before the commit that adds it"
elif grep -q "changes tests/test-dev.c, which no earlier patch adds" <<<"$out"; then
    ok "export refuses a change to a new file before the commit that adds it"
else
    bad "export failed for another reason: $out"
fi

[ $failed = 0 ] || { echo "$failed failed"; exit 1; }
