# docker buildx bake targets. `make frontend` pushes the frontend image to
# the local registry; set REGISTRY and TAG to publish elsewhere.
variable "REGISTRY" {
  default = "localhost:5000"
}
variable "TAG" {
  default = "latest"
}
# The prebuilt host buildroot the frontend defaults to, BOOTSTRAP,HOST
# pinned by digest; `make frontend` publishes it first and sets this.
variable "BUILDROOT" {
  default = ""
}
variable "GOPROXY" {
  default = ""
}
variable "GOSUMDB" {
  default = ""
}

group "default" {
  targets = ["frontend"]
}

target "frontend" {
  context    = "."
  dockerfile = "Dockerfile"
  target     = "frontend"
  args = {
    GOPROXY = GOPROXY
    GOSUMDB = GOSUMDB
    BUILDROOT = BUILDROOT
  }
  tags   = ["${REGISTRY}/osbuildkit/frontend:${TAG}"]
  output = ["type=registry"]
}
