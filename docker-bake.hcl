# docker buildx bake targets. `make frontend` pushes the frontend image to
# the local registry; set REGISTRY and TAG to publish elsewhere.
variable "REGISTRY" {
  default = "localhost:5000"
}
variable "TAG" {
  default = "latest"
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
  }
  tags   = ["${REGISTRY}/osbuildkit/frontend:${TAG}"]
  output = ["type=registry"]
}
