# influxdb-token-operator: built on Debian 12 with Debian's own libraries, shipped on a slim
# Debian 12 with only the runtime libraries, as a non-root user.
#   docker build -t influxdb-token-operator:0.1.0 .
FROM debian:12 AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends g++ cmake ninja-build libcpprest-dev \
      libyaml-cpp-dev nlohmann-json3-dev libssl-dev libboost-system-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY src src
COPY operator operator
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DDBTOKEN_BUILD_TESTS=OFF \
 && cmake --build build --target influxdb-token-operator \
 && strip build/operator/influxdb-token-operator

FROM debian:12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libcpprest2.10 libyaml-cpp0.7 libssl3 \
      ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/operator/influxdb-token-operator /usr/local/bin/
# 65532: the conventional "nonroot" uid; the Deployment sets runAsNonRoot.
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/influxdb-token-operator"]
