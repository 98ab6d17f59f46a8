# SPDX-License-Identifier: GPL-2.0-or-later
#
# A Debian suite's packages as apt sees them from this machine, without
# touching the machine's own apt state; sourced, not run.  For images and
# chroots of another suite (trixie on a bookworm host) and for cache keys.
#
#   suite_sources SUITE     deb822 entries: SUITE, its updates and security
#   suite_apt SUITE         read SUITE's package lists into a private apt
#                           configuration; sets SUITE_APT (apt-get options)
#   suite_src_apt SUITE     the same for SUITE's source packages alone (for
#                           unstable, which has no updates or security suite)
#   suite_plan ARGS...      "package version" of everything apt-get ARGS
#                           (install PKGS, or build-dep DSC) would put into an
#                           empty system, without recommends

# The Debian archive of this machine, as devtools/deps.sh found it.
debian_archive() {
    sed -n 's/^URIs: //p' /etc/apt/sources.list.d/xen-nvdimm.sources 2>/dev/null | head -n 1 | grep . ||
        die "no Debian archive entry from devtools/deps.sh"
}

# The archive URIs of this machine (main and security), for any suite.
suite_sources() {
    local suite=$1 mirror secmirror keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    mirror=$(debian_archive) || exit 1
    secmirror=$(awk '/^URIs:/ { u = $2 }
                     /^Suites:/ { for (i = 2; i <= NF; i++) if ($i ~ /-security$/) { print u; exit } }' \
                    /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
    secmirror=${secmirror:-${mirror%/debian*}/debian-security}
    cat <<SRC
Types: deb
URIs: $mirror
Suites: $suite $suite-updates
Components: main
Signed-By: $keyring

Types: deb
URIs: $secmirror
Suites: $suite-security
Components: main
Signed-By: $keyring
SRC
}

suite_apt() {
    local sources
    sources=$(suite_sources "$1") || exit 1
    private_apt "$CACHE/apt-$1" "$1" "$sources"
}

suite_src_apt() {
    local mirror
    mirror=$(debian_archive) || exit 1
    private_apt "$CACHE/apt-$1-src" "$1" "$(printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: %s\n' \
        "$mirror" "$1" /usr/share/keyrings/debian-archive-keyring.gpg)"
}

# private_apt DIR SUITE SOURCES: an apt configuration in DIR with the deb822
# entries SOURCES; read its lists, set SUITE_APT.
private_apt() {
    local dir=$1 suite=$2
    mkdir -p "$dir/sources.list.d" "$dir/lists/partial" "$dir/cache/archives/partial"
    printf '%s\n' "$3" >"$dir/sources.list.d/$suite.sources"
    : >"$dir/status"
    SUITE_APT=(-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$dir/sources.list.d"
               -o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null
               -o Dir::State::Lists="$dir/lists" -o Dir::State::status="$dir/status"
               -o Dir::Cache="$dir/cache" -o Debug::NoLocking=1 -o APT::Architectures=amd64
               -o APT::Get::List-Cleanup=0)
    apt-get -q "${SUITE_APT[@]}" update >"$dir/update.log" 2>&1 ||
        { cat "$dir/update.log"; die "cannot read the $suite package lists"; }
}

suite_plan() {
    apt-get -s --no-install-recommends "${SUITE_APT[@]}" "$@" 2>&1 |
        awk '/^Inst / { for (i = 3; i <= NF; i++) if ($i ~ /^\(/) { print $2, substr($i, 2); break } }
             /^E: / { print "error:", $0 > "/dev/stderr"; bad = 1 }
             END { exit bad }' | sort -u
}
