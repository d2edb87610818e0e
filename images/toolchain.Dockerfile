# The toolchain image of one Debian suite: the debootstrapped base plus what glibc builds and the
# probes need. Built with network mode host (only to fetch packages); containers from it run with none.
ARG BASE
FROM ${BASE}
ARG PACKAGES
ENV DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8
RUN apt-get update \
 && apt-get install -y --no-install-recommends ${PACKAGES} \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/*
RUN gcc --version | head -n1 && ldd --version | head -n1
