# The client image of one Debian suite: its toolchain image plus the real rseq clients that need
# packages (valgrind). Built with network mode host (only to fetch packages); containers from it run
# with none. Kept apart from the toolchain image so that adding a client never changes a build key.
ARG TOOLCHAIN
FROM ${TOOLCHAIN}
ARG PACKAGES
ENV DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8
RUN apt-get update \
 && apt-get install -y --no-install-recommends ${PACKAGES} \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/*
RUN valgrind --version
