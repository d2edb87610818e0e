# The VM image: bookworm's toolchain image plus QEMU (qemu-system-x86, without recommends), to boot
# Debian kernels with a small initramfs (harness/vm/boot.ts). The toolchain stays so that the same image
# can compile the static init. Built with network mode host (only to fetch packages); containers from
# it run with none.
ARG TOOLCHAIN
FROM ${TOOLCHAIN}
ARG PACKAGES
ENV DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8
RUN apt-get update \
 && apt-get install -y --no-install-recommends ${PACKAGES} \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/*
RUN qemu-system-x86_64 --version | head -n1
