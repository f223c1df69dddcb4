package localbuild

import (
	"os"

	"github.com/docker/cli/cli/config"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/auth/authprovider"
)

// registryAuth hands BuildKit the user's registry credentials when a
// registry asks for them, as docker buildx and buildctl do: from the Docker
// config file ($DOCKER_CONFIG/config.json, else ~/.docker/config.json, and
// the credential helpers it names), read when a registry first asks. A
// registry cache pushed to or pulled from a registry that needs a login
// (--cache-to, --cache-from), a private buildroot image, and the images
// `osbuildkit buildroot` pushes then work as they do with buildx; without
// credentials for a registry, BuildKit asks it anonymously, as before.
func registryAuth() session.Attachable {
	return authprovider.NewDockerAuthProvider(authprovider.DockerAuthProviderConfig{
		AuthConfigProvider: authprovider.LoadAuthConfig(config.LoadDefaultConfigFile(os.Stderr)),
	})
}
