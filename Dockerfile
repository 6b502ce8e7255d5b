# Versioner: build a static release binary, run it as a non-root user with /data as its volume.
#   docker build -t versioner .
#   docker run -p 8080:8080 -v versioner-data:/data -e VERSIONER_ADMIN_KEY=sk_local_… versioner

FROM swift:6.3-noble AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends zlib1g-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
RUN swift package resolve
COPY Sources ./Sources
RUN swift build -c release --static-swift-stdlib --product versioner \
    && install -m 0755 "$(swift build -c release --show-bin-path)/versioner" /usr/local/bin/versioner

FROM ubuntu:24.04
# zlib for snapshots, tzdata for the rules' and insights' time zones, libcurl for
# `snapshot create --server`, curl for the health check.
RUN apt-get update \
    && apt-get install -y --no-install-recommends zlib1g tzdata libcurl4 curl ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data versioner \
    && mkdir -p /data \
    && chown versioner /data
COPY --from=build /usr/local/bin/versioner /usr/local/bin/versioner
USER 10001
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s CMD ["curl", "-fsS", "http://127.0.0.1:8080/health"]
ENTRYPOINT ["versioner"]
CMD ["serve", "--host", "0.0.0.0", "--data-dir", "/data"]
