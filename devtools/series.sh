#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The patch series in patches/series, applied to a QEMU source tree.
#
#   series.sh apply DIR    apply the patches to DIR (fails on any reject)
#   series.sh link DIR     symlink the series' new files into DIR
#   series.sh files        list the new files, one per line
#   series.sh patches      list the patch files, in order
#   series.sh export BASE_GIT OUTDIR
#                          commit the series on top of BASE_GIT's HEAD (no
#                          checkout needed) and write it with format-patch,
#                          with patches/cover-letter as 0000
set -euo pipefail
. "$(dirname "$0")/common.sh"

SERIES=$TOP/patches/series

# Print "patch FILE" and "file PATH" records in series order.
records() {
    awk '/^[ \t]*(#|$)/ { next }
         /^[ \t]/ { print "file", $1; next }
         { print "patch", $1 }' "$SERIES"
}

cmd_apply() {
    local dir=$1 kind name
    records | while read -r kind name; do
        [ "$kind" = patch ] || continue
        patch -d "$dir" -p1 --batch --forward --fuzz=0 --no-backup-if-mismatch \
            --quiet <"$TOP/patches/$name" ||
            die "patch $name does not apply to $dir"
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
    local base=$1 out=$2 kind name head tip tmp cur=
    export GIT_DIR=$base
    tmp=$(mktemp -d)
    export GIT_INDEX_FILE=$tmp/index
    head=$(git rev-parse HEAD)
    tip=$head
    git read-tree "$tip"

    # Commit what the index holds with the message of patch $cur.
    commit() {
        [ -n "$cur" ] || return 0
        local author email
        author=$(sed -n "s/^Author: //p" "$tmp/info")
        email=$(sed -n 's/^Email: //p' "$tmp/info")
        tip=$(GIT_AUTHOR_NAME=$author GIT_AUTHOR_EMAIL=$email \
              GIT_COMMITTER_NAME=$author GIT_COMMITTER_EMAIL=$email \
              git commit-tree "$(git write-tree)" -p "$tip" -F "$tmp/body")
    }
    while read -r kind name; do
        if [ "$kind" = patch ]; then
            commit
            cur=$name
            git mailinfo "$tmp/msg" "$tmp/diff" <"$TOP/patches/$name" >"$tmp/info"
            { sed -n 's/^Subject: //p' "$tmp/info"; echo; cat "$tmp/msg"; } >"$tmp/body"
            if [ -s "$tmp/diff" ]; then
                git apply --cached "$tmp/diff" || die "$name does not apply to the base"
            fi
        else
            git update-index --add --cacheinfo \
                "100644,$(git hash-object -w "$TOP/$name"),$name"
        fi
    done < <(records)
    commit
    rm -rf "$out"
    mkdir -p "$out"
    git format-patch -q --no-signature --cover-letter -o "$out" "$head..$tip"
    # The cover letter: patches/cover-letter's first line is its subject,
    # the text after the blank line its body.
    awk -v subject="$(head -n 1 "$TOP/patches/cover-letter")" \
        -v text="$TOP/patches/cover-letter" '
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

case "${1:-}" in
    apply) cmd_apply "$2" ;;
    link) cmd_link "$2" ;;
    files) cmd_files ;;
    patches) cmd_patches ;;
    export) cmd_export "$2" "$3" ;;
    *) die "usage: $0 apply DIR | link DIR | files | patches | export BASE_GIT OUTDIR" ;;
esac
