#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# NVDIMM hotplug into a running Linux guest, in emulated mode: the guest
# starts with one xen-nvdimm (with labels) under -object
# xen-nvdimm-root,slots=3.  Through QMP, as an admin would, a second and a
# third device go in while the guest runs; Linux must find each by itself
# and use it (a raw write, then fsdax and a write), the bytes must land in
# the backing files, and the refusals must be clear and change nothing: a
# device with labels, one whose host memory is less persistent than the
# guest's NVDIMMs, an unplug, and a fourth device past the slots.
set -euo pipefail
. "$(dirname "$0")/common.sh"

work=$BUILD/test-hotplug
rm -rf "$work"
mkdir -p "$work"
GUEST_FS=no "$TOP/devtools/guest/image.sh" "$work" "$TOP/devtools/guest/hotplug/run.sh" \
    "$TOP/devtools/guest/nd-lib.sh"
for i in 0 1 2 3; do
    truncate -s 64M "$work/pmem$i.img"
done
nonce=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')

# The admin's side: QMP on the socket, driven by what the guest says.
/usr/bin/python3 - "$work" "$nonce" >"$work/driver.log" 2>&1 <<'PY' &
import json, os, socket, sys, time
work, nonce = sys.argv[1], sys.argv[2]
serial = f"{work}/serial.log"

def wait_line(prefix, limit=900):
    start = time.time()
    while time.time() - start < limit:
        try:
            with open(serial, errors="replace") as f:
                if any(l.startswith(prefix) for l in f):
                    return
        except FileNotFoundError:
            pass
        time.sleep(0.5)
    sys.exit(f"the guest never said {prefix}")

class Qmp:
    def __init__(self, path):
        for _ in range(600):
            try:
                self.s = socket.socket(socket.AF_UNIX)
                self.s.connect(path)
                break
            except OSError:
                time.sleep(0.5)
        self.f = self.s.makefile("rw")
        json.loads(self.f.readline())
        self.cmd("qmp_capabilities")
    def cmd(self, name, **args):
        self.f.write(json.dumps({"execute": name, "arguments": args}) + "\n")
        self.f.flush()
        while True:
            reply = json.loads(self.f.readline())
            if "return" in reply or "error" in reply:
                return reply

log = open(f"{work}/qmp.log", "w")
def run(tag, name, **args):
    reply = qmp.cmd(name, **args)
    log.write(json.dumps({"tag": tag, "reply": reply}) + "\n")
    log.flush()

def backend(i):
    run(f"object-add pm{i}", "object-add", **{"qom-type": "memory-backend-xen-pmem",
        "id": f"pm{i}", "size": 64 << 20, "mem-path": f"{work}/pmem{i}.img"})

def nvdimm(tag, dev, pm, **props):
    run(tag, "device_add", driver="xen-nvdimm-emu", id=dev, memdev=pm, **props)

qmp = Qmp(f"{work}/qmp.sock")
wait_line("HOTPLUG-READY-1")
backend(1)
nvdimm("plug nv1", "nv1", "pm1", **{"x-emu-persistence": "cpu_cache"})
wait_line("HOTPLUG-READY-2")
backend(2)
backend(3)
nvdimm("refuse labels", "nvl", "pm2", **{"label-size": 131072,
       "x-emu-persistence": "cpu_cache"})
nvdimm("refuse weaker", "nvw", "pm3", **{"x-emu-persistence": "memory_controller"})
run("refuse unplug", "device_del", id="nv1")
nvdimm("plug nv2", "nv2", "pm2", **{"x-emu-persistence": "cpu_cache"})
wait_line("HOTPLUG-READY-3")
nvdimm("refuse past slots", "nv3", "pm3", **{"x-emu-persistence": "cpu_cache"})
with open(f"{work}/pmem1.img", "r+b") as f:
    f.seek(8192)
    f.write(f"XNV-HOST-DONE-{nonce}".encode())
PY
driver=$!
# A failed boot must not leave the driver to act on the next run's guest.
trap 'kill "$driver" 2>/dev/null || true' EXIT

"$TOP/devtools/guest/boot.sh" "$work/serial.log" 900 \
    -M pc -m 1G \
    -object xen-nvdimm-root,id=nvr,slots=3 \
    -object memory-backend-xen-pmem,id=pm0,size=64M,mem-path="$work/pmem0.img" \
    -device xen-nvdimm-emu,id=nv0,memdev=pm0,label-size=128K,x-emu-persistence=cpu_cache \
    -qmp unix:"$work/qmp.sock",server=on,wait=off \
    -trace "enable=xen_nvdimm_hotplug,file=$work/trace.log" \
    -trace "enable=xen_nvdimm_event_*,file=$work/trace.log" \
    -trace "enable=xen_nvdimm_realize*,file=$work/trace.log" \
    -kernel "$work/vmlinux" -initrd "$work/initrd.img" \
    -append "console=ttyS0 loglevel=3 panic=-1 xtnonce=$nonce" ||
    { cat "$work/driver.log" "$work/qmp.log" 2>/dev/null; exit 1; }
wait "$driver" || { cat "$work/driver.log"; die "the QMP driver failed"; }

/usr/bin/python3 - "$work" "$nonce" <<'PY'
import json, re, sys
work, nonce = sys.argv[1], sys.argv[2]
fails = 0
def check(ok, what):
    global fails
    fails += not ok
    print(("ok   " if ok else "FAIL ") + what)
log = [l.rstrip("\r\n") for l in open(f"{work}/serial.log", errors="replace")]
def field(key):
    return [l[len(key) + 1:] for l in log if l.startswith(key + " ")]
qmp = {}
for l in open(f"{work}/qmp.log"):
    r = json.loads(l)
    qmp[r["tag"]] = r["reply"]
def err(tag):
    return qmp.get(tag, {}).get("error", {}).get("desc", "")

check(field("DIMMS-AT-BOOT") == ["1"], f"the guest booted with one NVDIMM: {field('DIMMS-AT-BOOT')}")
for tag in ("object-add pm1", "plug nv1", "object-add pm2", "object-add pm3", "plug nv2"):
    check("return" in qmp.get(tag, {}), f"QMP {tag}: {qmp.get(tag)}")
plugged = field("PLUGGED")
check(len(plugged) == 2 and all(re.match(r"handle=0x[23] dev=pmem\d+ after \d+ s$", p) for p in plugged),
      f"Linux found each hot-plugged NVDIMM by itself, with a block device: {plugged}")
data1 = open(f"{work}/pmem1.img", "rb").read()
want = f"XNV-HOTPLUG-2-{nonce}".encode()
check(data1[4096:4096 + len(want)] == want,
      f"the guest's write to the second NVDIMM is in its backing file at 4096: {data1[4096:4096 + len(want)]!r}")
check(field("FSDAX") and field("FSDAX")[0].endswith("mode=fsdax"),
      f"the third became an fsdax namespace: {field('FSDAX')}")
want = f"XNV-HOTPLUG-3-{nonce}".encode()
check(want in open(f"{work}/pmem2.img", "rb").read(),
      "the guest's write through it is in the third backing file")
check(err("refuse labels") == "xen-nvdimm 'pm2': a hot-plugged NVDIMM has no label area: "
      "the guest learnt at boot which slots have one", f"labels refused: {err('refuse labels')}")
check(err("refuse weaker") == "xen-nvdimm 'pm3': the host's persistence domain of this memory "
      "is 'memory_controller', but the guest's NVDIMMs are 'cpu_cache': it cannot join them",
      f"weaker persistence refused: {err('refuse weaker')}")
check(err("refuse unplug").startswith("xen-nvdimm 'pm1' cannot be unplugged: Linux rejects a FIT "
      "that loses an NVDIMM"), f"unplug refused: {err('refuse unplug')}")
check(err("refuse past slots") == "xen-nvdimm 'pm3': all 3 NVDIMM slots the guest has are used",
      f"a fourth device refused: {err('refuse past slots')}")
done = field("HOST-DONE")
check(done and int(done[0].split()[1]) < 300, f"the guest saw the host's mark: {done}")
check(field("DIMMS-AT-END") == ["3"], f"three NVDIMMs at the end: {field('DIMMS-AT-END')}")
j = json.loads(field("JSON-DRN")[0]) if field("JSON-DRN") else {}
handles = sorted(d.get("handle") for d in j.get("dimms", []))
check(handles == [1, 2, 3], f"ndctl lists the DIMMs of handles 1, 2, 3: {handles}")
check(len(j.get("regions", [])) == 3, f"and three regions: {[r.get('dev') for r in j.get('regions', [])]}")
persist = field("PERSIST")
check(len(persist) == 3 and all(p.endswith("domain=cpu_cache") for p in persist),
      f"every region, hot-plugged too, says the CPU caches: {persist}")
bad = [l for l in log if l.startswith("FAILED")] + \
      [d for d in field("DMESG") if re.search(r"delete|unsupported|fail|error", d, re.I)]
check(not bad, f"no failure in the guest or its kernel's nfit messages: {bad}")
trace = open(f"{work}/trace.log").read()
hp = re.findall(r"xen_nvdimm_hotplug (\w+): slot (\d+)", trace)
check(hp == [("pm1", "1"), ("pm2", "2")], f"QEMU plugged pm1 into slot 1 and pm2 into slot 2: {hp}")
took = re.findall(r"xen_nvdimm_event_read the guest took events (0x[0-9a-f]+)", trace)
check(took.count("0x1") == 2, f"the guest's _E04 took the hotplug event twice: {took}")
print(f"{fails} failed")
sys.exit(1 if fails else 0)
PY
