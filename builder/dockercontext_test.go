package builder

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/cli/cli/context/store"
)

// writeContext writes a docker CLI context with the CLI's own store code, as `docker context
// create NAME --docker host=HOST,…` does; tls holds the endpoint's files (ca.pem, …), if any.
func writeContext(t *testing.T, configDir, name, host string, skipVerify bool, tls map[string][]byte) {
	t.Helper()
	s := store.New(filepath.Join(configDir, "contexts"), store.NewConfig(func() any { return &map[string]any{} }))
	meta := store.Metadata{Name: name, Metadata: map[string]any{},
		Endpoints: map[string]any{"docker": map[string]any{"Host": host, "SkipTLSVerify": skipVerify}}}
	if err := s.CreateOrUpdate(meta); err != nil {
		t.Fatal(err)
	}
	if tls != nil {
		if err := s.ResetEndpointTLSMaterial(name, "docker", &store.EndpointTLSData{Files: tls}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDockerContextEnv(t *testing.T) {
	dir := t.TempDir()
	writeContext(t, dir, "plain", "tcp://10.0.0.1:2375", false, nil)
	writeContext(t, dir, "tls", "tcp://10.0.0.2:2376", false, map[string][]byte{"ca.pem": []byte("ca"), "cert.pem": []byte("c"), "key.pem": []byte("k")})
	writeContext(t, dir, "skip", "tcp://10.0.0.3:2376", true, map[string][]byte{"cert.pem": []byte("c"), "key.pem": []byte("k")})

	env, ok, err := DockerContextEnv(dir, "plain")
	if err != nil || !ok || env != (DockerEnv{Host: "tcp://10.0.0.1:2375"}) {
		t.Errorf("plain: %+v, %v, %v; want its host without TLS", env, ok, err)
	}
	env, ok, err = DockerContextEnv(dir, "tls")
	if err != nil || !ok || env.Host != "tcp://10.0.0.2:2376" || !env.TLSVerify || env.TLS {
		t.Fatalf("tls: %+v, %v, %v; want its host with verified TLS", env, ok, err)
	}
	if data, err := os.ReadFile(filepath.Join(env.CertPath, "ca.pem")); err != nil || string(data) != "ca" {
		t.Errorf("tls: CertPath %s holds ca.pem %q (%v), want the context's", env.CertPath, data, err)
	}
	env, _, err = DockerContextEnv(dir, "skip")
	if err != nil || env.TLSVerify || !env.TLS {
		t.Errorf("skip-tls-verify: %+v, %v; want TLS without verification", env, err)
	}

	// No name: the config file's current context; none, or "default": the environment applies.
	if _, ok, err := DockerContextEnv(dir, ""); ok || err != nil {
		t.Errorf("no current context: ok %v, %v; want the environment", ok, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"currentContext": "tls"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if env, ok, err := DockerContextEnv(dir, ""); !ok || err != nil || env.Host != "tcp://10.0.0.2:2376" {
		t.Errorf("current context tls: %+v, %v, %v", env, ok, err)
	}
	if _, ok, err := DockerContextEnv(dir, "default"); ok || err != nil {
		t.Errorf("default: ok %v, %v; want the environment", ok, err)
	}
	if _, _, err := DockerContextEnv(dir, "nosuch"); err == nil || !strings.Contains(err.Error(), `docker context "nosuch"`) || !strings.Contains(err.Error(), "docker context ls") {
		t.Errorf("nosuch: %v", err)
	}
}
