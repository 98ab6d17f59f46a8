# SPDX-License-Identifier: GPL-2.0-or-later
#
# xen-nvdimm: Debian's QEMU 10.0 plus this tree.  Run as root on Debian 12.
#   make demo     install deps, fetch and build QEMU, run the demo
#   make check    the same set-up, then the whole test suite
#   make deb      Debian's qemu-system-xen with the series (build/deb/)
#   make xen-deb  Debian's Xen hypervisor with xen/patches (build/xen-deb/)
#   make bench    the benchmark table; make fuzz: 10 million fuzz runs each

.PHONY: demo check build deps deb xen-deb export mutate fuzz bench clean

demo: build
	devtools/demo.sh

check: deps
	devtools/check.sh

build: deps
	devtools/build.sh

deps:
	devtools/deps.sh

# Debian's qemu-system-xen package (trixie, Xen 4.20) with the series, built
# in a clean trixie chroot: about 10 min cold (chroot and package), 2 min
# with both cached but for the package (ccache).
deb: deps
	devtools/deb/build.sh

# Debian's xen-hypervisor-4.17-amd64 (bookworm) with the patches of
# xen/patches/series, hypervisor only, built in a clean bookworm chroot:
# about 4.5 min cold (1.5 min the chroot, 3 min the package), 3 min after
# a change of the patches, 7 s cached.  build/xen-deb/PACKAGE names the .deb.
xen-deb: deps
	devtools/xen-deb/build.sh

# The mutation score of the fast tiers (unit tests and qtest): about 10 min.
mutate: build
	devtools/mutate.sh

# The benchmark: realize cost, memory and label I/O next to QEMU's own
# NVDIMM, measured side by side (about 10 min); the table is printed and
# kept in build/bench/table.md.
bench: build
	devtools/bench.sh

# libFuzzer on every parser of untrusted input, 10 million executions per
# target (about 5 min); what covers new ground joins the corpus in the tree.
fuzz: build
	devtools/fuzz.sh bench

# The patch series as git format-patch files, in build/series/.
export: build
	devtools/export-series.sh

clean:
	rm -rf build
