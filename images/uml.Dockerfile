# The UML image: sid's toolchain image plus user-mode-linux (without recommends): Linux built as an
# ordinary program (/usr/bin/linux; 7.2 in sid on 2026-12-06), a real kernel without CONFIG_RSEQ, which
# harness/vm/uml.ts boots with a small initramfs. Sid's because the older ones (bookworm's 6.1, trixie's
# 6.12) kill their guest's first process on a host CPU with AMX (harness/docker/uml-image.ts). The toolchain stays so that the same image can compile the static init.
# Built with network mode host (only to fetch packages); containers from it run with none.
ARG TOOLCHAIN
FROM ${TOOLCHAIN}
ARG PACKAGES
ENV DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8
RUN apt-get update \
 && apt-get install -y --no-install-recommends ${PACKAGES} \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/*
RUN test -x /usr/bin/linux && linux --version
