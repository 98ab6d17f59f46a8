# Devices of the xen-nvdimm test build: the pc machine (the Xen device
# model's xenfv is built on it) and QEMU's own NVDIMM for comparison tests.
CONFIG_I440FX=y
CONFIG_NVDIMM=y
CONFIG_XEN_NVDIMM=y
