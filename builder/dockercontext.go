package builder

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/context/store"
)

// dockerEndpoint is the "docker" endpoint of a docker CLI context (docker context create
// --docker host=…,ca=…,cert=…,key=…,skip-tls-verify=…).
type dockerEndpoint struct {
	Host          string `json:",omitempty"`
	SkipTLSVerify bool
}

// DockerContextEnv is the engine a docker CLI context names, read from the context store in
// configDir (DOCKER_CONFIG, or ~/.docker) as the docker CLI reads it: the endpoint's host, and
// TLS with the context's own ca.pem, cert.pem and key.pem when it has them. name "" is the
// config file's current context; it and "default" give ok false: the environment applies.
func DockerContextEnv(configDir, name string) (env DockerEnv, ok bool, err error) {
	if name == "" {
		cf, err := config.Load(configDir)
		if err != nil {
			return env, false, fmt.Errorf("reading the docker CLI's config in %s: %w", configDir, err)
		}
		name = cf.CurrentContext
	}
	if name == "" || name == "default" {
		return env, false, nil
	}
	s := store.New(filepath.Join(configDir, "contexts"), store.NewConfig(
		func() any { return &map[string]any{} },
		store.EndpointTypeGetter("docker", func() any { return &dockerEndpoint{} })))
	meta, err := s.GetMetadata(name)
	if err != nil {
		return env, false, fmt.Errorf("docker context %q: %w; list them with docker context ls", name, err)
	}
	ep, _ := meta.Endpoints["docker"].(dockerEndpoint) // the store hands back the getter's value
	if ep.Host == "" {
		return env, false, fmt.Errorf("docker context %q has no docker endpoint host", name)
	}
	env.Host = ep.Host
	tlsDir := filepath.Join(s.GetStorageInfo(name).TLSPath, "docker")
	files, err := os.ReadDir(tlsDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return env, false, fmt.Errorf("docker context %q: %w", name, err)
	}
	// As the docker CLI: a context with TLS material speaks TLS, verifying the engine unless
	// the context says skip-tls-verify.
	if len(files) > 0 {
		env.CertPath = tlsDir
		env.TLSVerify = !ep.SkipTLSVerify
		env.TLS = ep.SkipTLSVerify
	}
	return env, true, nil
}
