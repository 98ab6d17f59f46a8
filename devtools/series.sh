#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The patch series in patches/series, applied to a QEMU source tree.
#
# The series' new files are kept at their QEMU paths in their final form.  A
# later patch may change a new file of an earlier one (so that a commit holds
# one concern): its hunks on that file are then already in the final form, so
# `apply` leaves them out, and `export` takes them back out of the earlier
# commits' copies of the file.
#
#   series.sh apply DIR    apply the patches' changes to QEMU's own files to
#                          DIR (fails on any reject)
#   series.sh part PATCH qemu|own
#                          print PATCH's changes to QEMU's own files, or to
#                          the series' new files
#   series.sh link DIR     symlink the series' new files into DIR
#   series.sh files        list the new files, one per line
#   series.sh patches      list the patch files, in order
#   series.sh export BASE_GIT OUTDIR
#                          commit the series on top of BASE_GIT's HEAD (no
#                          checkout needed) and write it with format-patch,
#                          with patches/cover-letter as 0000
#   series.sh import GIT_DIR BASE TIP
#                          the inverse: make patches/ and the new files from
#                          the commits BASE..TIP of GIT_DIR (an exported
#                          series, reworked with git: split, reordered)
set -euo pipefail
. "$(dirname "$0")/common.sh"

SERIES=$TOP/patches/series

# Print "patch FILE" and "file PATH" records in series order.
records() {
    awk '/^[ \t]*(#|$)/ { next }
         /^[ \t]/ { print "file", $1; next }
         { print "patch", $1 }' "$SERIES"
}

# part FILE qemu|own: the sections of the diff in FILE (a patch, or a bare
# diff) that change QEMU's own files, or the series' new files.  What comes
# before the first section (a patch's message) goes with the QEMU part.
part() {
    awk -v want="$2" '
        FNR == NR { own[$0] = 1; next }
        /^diff --git / { f = $3; sub(/^a\//, "", f); keep = ((f in own) == (want == "own")) ; started = 1 }
        !started { if (want == "qemu") print; next }
        keep' <(cmd_files) "$1"
}

cmd_part() {
    part "$@"
}

cmd_apply() {
    local dir=$1 kind name diff
    records | while read -r kind name; do
        [ "$kind" = patch ] || continue
        diff=$(part "$TOP/patches/$name" qemu)
        grep -q '^diff --git ' <<<"$diff" || continue
        patch -d "$dir" -p1 --batch --forward --fuzz=0 --no-backup-if-mismatch --quiet \
            <<<"$diff" || die "patch $name does not apply to $dir"
    done
}

cmd_link() {
    local dir=$1 kind name
    records | while read -r kind name; do
        [ "$kind" = file ] || continue
        [ -f "$TOP/$name" ] || die "patches/series lists $name, which does not exist"
        mkdir -p "$dir/$(dirname "$name")"
        if [ -e "$dir/$name" ] && [ ! -L "$dir/$name" ]; then
            die "$name already exists in QEMU: it belongs in a patch, not in the series' new files"
        fi
        ln -sfn "$TOP/$name" "$dir/$name"
    done
}

cmd_files() {
    records | awk '$1 == "file" { print $2 }'
}

cmd_patches() {
    records | awk '$1 == "patch" { print $2 }'
}

cmd_export() {
    local base=$1 out=$2 kind name head tip tmp cur= k=0 n f
    export GIT_DIR=$base
    tmp=$(mktemp -d)
    export GIT_INDEX_FILE=$tmp/index
    head=$(git rev-parse HEAD)
    tip=$head
    git read-tree "$tip"

    # The new files as each commit leaves them, in $tmp/at.K: the final
    # form, less the changes of the patches after the K-th.
    local -A born
    local names
    mkdir -p "$tmp/now"
    while read -r kind name; do
        if [ "$kind" = patch ]; then
            k=$((k + 1))
        else
            born[$name]=$k
            install -D -m 644 "$TOP/$name" "$tmp/now/$name"
        fi
    done < <(records)
    n=$k
    mapfile -t names < <(cmd_patches)
    for ((k = n; k > 0; k--)); do
        cp -a "$tmp/now" "$tmp/at.$k"
        part "$TOP/patches/${names[k - 1]}" own >"$tmp/own"
        for f in $(sed -n 's|^+++ b/||p' "$tmp/own"); do
            [ "${born[$f]}" -lt "$k" ] ||
                die "${names[k - 1]} changes $f, which no earlier patch adds"
        done
        [ ! -s "$tmp/own" ] ||
            patch -d "$tmp/now" -p1 -R --batch --fuzz=0 --no-backup-if-mismatch --quiet \
                <"$tmp/own" >"$tmp/patch.log" 2>&1 ||
            { cat "$tmp/patch.log"; die "${names[k - 1]}'s changes to the series' new files do not come out of their final form"; }
    done

    # Commit what the index holds with the message of patch $cur.
    commit() {
        [ -n "$cur" ] || return 0
        local author email date
        author=$(sed -n "s/^Author: //p" "$tmp/info")
        email=$(sed -n 's/^Email: //p' "$tmp/info")
        # The patch's own date: the same series exports the same commits.
        date=$(sed -n 's/^Date: //p' "$tmp/info")
        tip=$(GIT_AUTHOR_NAME=$author GIT_AUTHOR_EMAIL=$email \
              GIT_COMMITTER_NAME=$author GIT_COMMITTER_EMAIL=$email \
              GIT_AUTHOR_DATE=$date GIT_COMMITTER_DATE=$date \
              git commit-tree "$(git write-tree)" -p "$tip" -F "$tmp/body")
    }
    # add FILE: the new file FILE as the K-th commit leaves it.
    add() {
        git update-index --add --cacheinfo \
            "100644,$(git hash-object -w "$tmp/at.$k/$1"),$1"
    }
    k=0
    while read -r kind name; do
        if [ "$kind" = patch ]; then
            commit
            cur=$name
            k=$((k + 1))
            git mailinfo "$tmp/msg" "$tmp/diff" <"$TOP/patches/$name" >"$tmp/info"
            { sed -n 's/^Subject: //p' "$tmp/info"; echo; cat "$tmp/msg"; } >"$tmp/body"
            part "$tmp/diff" qemu >"$tmp/qemu"
            if grep -q '^diff --git ' "$tmp/qemu"; then
                git apply --cached "$tmp/qemu" || die "$name does not apply to the base"
            fi
            for f in $(part "$tmp/diff" own | sed -n 's|^+++ b/||p'); do
                add "$f"
            done
        else
            add "$name"
        fi
    done < <(records)
    commit
    rm -rf "$out"
    mkdir -p "$out"
    git format-patch -q --no-signature --cover-letter -o "$out" "$head..$tip"
    # The cover letter: patches/cover-letter's first line is its subject,
    # the text after the blank line its body.
    # (Dated as its last patch, so that the export is the same every time.)
    awk -v subject="$(head -n 1 "$TOP/patches/cover-letter")" \
        -v text="$TOP/patches/cover-letter" -v date="$(git log -1 --format=%aD "$tip")" '
        /^Date: / && !dated { print "Date: " date; dated = 1; next }
        /\*\*\* SUBJECT HERE \*\*\*/ { sub(/\*\*\* SUBJECT HERE \*\*\*/, subject) }
        /^\*\*\* BLURB HERE \*\*\*$/ {
            while ((getline line < text) > 0) {
                if (n++ > 1) print line
            }
            next
        }
        { print }' "$out/0000-cover-letter.patch" >"$tmp.cover"
    mv "$tmp.cover" "$out/0000-cover-letter.patch"
    rm -rf "$tmp"
    ls "$out"
}

cmd_import() {
    local git=$1 base=$2 tip=$3 tmp p f born
    export GIT_DIR=$git
    tmp=$(mktemp -d)
    git format-patch -q -N --no-signature --zero-commit -o "$tmp" "$base..$tip"
    # The series file's opening comment stays; the list is made anew.
    awk '/^#/ { print; next } { exit }' "$SERIES" >"$tmp/series"
    rm -f "$TOP"/patches/0*.patch
    for p in "$tmp"/0*.patch; do
        # A file the commit creates is kept whole, at its QEMU path.
        mapfile -t born < <(awk '/^diff --git / { f = $3; sub(/^a\//, "", f) }
                                 /^new file mode / { print f }' "$p")
        echo "${p##*/}" >>"$tmp/series"
        awk -v list="${born[*]}" '
            BEGIN { n = split(list, l, " "); for (i = 1; i <= n; i++) drop[l[i]] = 1 }
            /^diff --git / { f = $3; sub(/^a\//, "", f); skip = f in drop; body = 1 }
            !body && /^---$/ { print; stat = 1; next }
            stat && !body { next }
            !skip' "$p" >"$tmp/out"
        # The diffstat, of what the patch file still holds.
        awk '/^diff --git / { exit } { print }' "$tmp/out" >"${TOP}/patches/${p##*/}"
        if grep -q '^diff --git ' "$tmp/out"; then
            sed -n '/^diff --git /,$p' "$tmp/out" | git apply --stat - \
                >>"$TOP/patches/${p##*/}"
            echo >>"$TOP/patches/${p##*/}"
            sed -n '/^diff --git /,$p' "$tmp/out" >>"$TOP/patches/${p##*/}"
        fi
        for f in "${born[@]}"; do
            echo "    $f" >>"$tmp/series"
            mkdir -p "$TOP/$(dirname "$f")"
            git show "$tip:$f" >"$TOP/$f"
        done
    done
    mv "$tmp/series" "$SERIES"
    rm -rf "$tmp"
}

case "${1:-}" in
    apply) cmd_apply "$2" ;;
    part) cmd_part "$2" "$3" ;;
    link) cmd_link "$2" ;;
    files) cmd_files ;;
    patches) cmd_patches ;;
    export) cmd_export "$2" "$3" ;;
    import) cmd_import "$2" "$3" "$4" ;;
    *) die "usage: $0 apply DIR | part PATCH qemu|own | link DIR | files | patches | export BASE_GIT OUTDIR | import GIT_DIR BASE TIP" ;;
esac
