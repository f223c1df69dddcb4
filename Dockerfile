# The osbuildkit frontend image: a scratch image holding one static binary,
# which is the BuildKit frontend and the helper that runs stages in the
# sandbox, and its small companion osbuildkit-native (package standin). Build it with `make frontend` (docker buildx bake).
ARG GO_VERSION=1.26

FROM golang:${GO_VERSION}-bookworm AS build
# The Go module proxy to fetch dependencies through (go env GOPROXY).
ARG GOPROXY
ARG GOSUMDB
# The prebuilt host buildroot, BOOTSTRAP,HOST pinned by digest (`osbuildkit
# buildroot` prints it; `make frontend` passes it): the frontend's default.
# Empty: the frontend builds the buildroot from debian:bookworm.
ARG BUILDROOT=""
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/osbuildkit/osbuildkit/frontend.DefaultBuildroot=${BUILDROOT}" -o /out/usr/bin/ ./cmd/osbuildkit ./cmd/osbuildkit-native

FROM scratch AS frontend
COPY --from=build /out/ /
LABEL moby.buildkit.frontend.network.none="true"
LABEL moby.buildkit.frontend.caps="moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts"
ENTRYPOINT ["/usr/bin/osbuildkit", "frontend"]
