# Stand-in for the official ARCH/python:3.11-slim-bookworm image (no registry is reachable
# here): Debian's Python 3.11 with pip, usable the way the official image is — `python`,
# `pip install` into the system interpreter (no PEP 668 marker).
ARG ARCH=amd64
FROM ${ARCH}/debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-pip \
    && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin \
    && rm -f /usr/lib/python3*/EXTERNALLY-MANAGED \
    && ln -sf python3 /usr/bin/python
CMD ["python3"]
