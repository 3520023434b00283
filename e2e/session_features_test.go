package e2e

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Secrets, ssh, registry caches and TLS over the BuildKit session, on a real buildkitd (and the
// engine's BuildKit where the engine takes part), with FROM scratch images whose RUN steps call
// the static probe binary. Builds pass --network none: the private engine has no bridge, and
// Docker 20.10's Dockerfile frontend has no RUN --network.

// sessionBuilders are the ways into a BuildKit session: the test buildkitd and, when an engine
// runs, the engine's BuildKit through the Docker API.
func sessionBuilders(t *testing.T) map[string][]string {
	t.Helper()
	addr, _ := requireBuildkitd(t)
	out := map[string][]string{"buildkitd": {"--builder", "buildkit", "--addr", addr}}
	if os.Getenv("DOCKER_HOST") != "" || os.Getenv("CI") == "true" {
		requireEngine(t)
		out["engine"] = []string{"--builder", "docker"}
	}
	return out
}

// sessionBuild runs monoctx build with extra environment; it returns the result, whatever the exit.
func sessionBuild(t *testing.T, repo string, env []string, args ...string) result {
	t.Helper()
	argv := append([]string{monoctxBin, "build", "--progress", "plain", "--network", "none"}, args...)
	return runCmd(t, repo, append([]string{"DOCKER_BUILDKIT=1"}, env...), nil, argv...)
}

func randomHex(t *testing.T) string {
	t.Helper()
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b[:])
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestBuildKitSecretReachesRunButNotTheImage passes one secret from a file and one from an
// environment variable: the RUN steps that mount them see their exact content (the probe writes
// its SHA-256 into the image), neither value is anywhere in the exported image or the build's
// output, and without --secret the build fails (the mounts are required).
func TestBuildKitSecretReachesRunButNotTheImage(t *testing.T) {
	repo := probeFixture(t, `FROM scratch
COPY probe /probe
RUN --mount=type=secret,id=tok,required=true ["/probe", "sha256", "/run/secrets/tok", "/out/tok.sha256"]
RUN --mount=type=secret,id=envtok,required=true ["/probe", "sha256", "/run/secrets/envtok", "/out/envtok.sha256"]
`)
	for name, builder := range sessionBuilders(t) {
		t.Run(name, func(t *testing.T) {
			fileSecret, envSecret := randomHex(t), randomHex(t)
			src := filepath.Join(t.TempDir(), "tok")
			writeFile(t, src, fileSecret)
			dest := t.TempDir()
			// --no-cache: a secret is not part of the cache key, and an earlier run's hash would do.
			args := append(append([]string{}, builder...), "probe", "--no-cache", "-o", "type=local,dest="+dest,
				"--secret", "id=tok,src="+src, "--secret", "id=envtok,env=MONOCTX_E2E_SECRET")
			r := sessionBuild(t, repo, []string{"MONOCTX_E2E_SECRET=" + envSecret}, args...)
			if r.code != 0 {
				t.Fatalf("monoctx build: exit %d\n%s", r.code, tail(r.stderr))
			}
			got := readDir(t, dest)
			for file, secret := range map[string]string{"out/tok.sha256": fileSecret, "out/envtok.sha256": envSecret} {
				if e := got[file]; strings.TrimSpace(string(e.Content)) != sha256Hex(secret) {
					t.Errorf("%s = %q, want the SHA-256 of the secret, %s", file, e.Content, sha256Hex(secret))
				}
			}
			for p, e := range got {
				for _, secret := range []string{fileSecret, envSecret} {
					if bytes.Contains(e.Content, []byte(secret)) {
						t.Errorf("image file %s holds a secret's value", p)
					}
				}
				if strings.HasPrefix(p, "run/secrets/") && kind(e) != 'd' {
					t.Errorf("image holds %s, the secret's mount point", p)
				}
			}
			for _, secret := range []string{fileSecret, envSecret} {
				if bytes.Contains(r.stderr, []byte(secret)) || bytes.Contains(r.stdout, []byte(secret)) {
					t.Errorf("the build's output shows a secret's value:\n%s", tail(r.stderr))
				}
			}

			without := sessionBuild(t, repo, nil, append(append([]string{}, builder...), "probe", "--no-cache", "-o", "type=local,dest="+t.TempDir())...)
			if without.code == 0 {
				t.Errorf("without --secret the build succeeded; the required secret mount proves nothing")
			}
		})
	}
}

// TestBuildKitSSHForwardsAgentAndKeys forwards a real ssh-agent (--ssh default, from
// SSH_AUTH_SOCK) and a key file (--ssh deploy=KEY): each RUN step with an ssh mount finds
// SSH_AUTH_SOCK set and lists, through that socket, exactly the key it was given. Without --ssh
// the build fails.
func TestBuildKitSSHForwardsAgentAndKeys(t *testing.T) {
	repo := probeFixture(t, `FROM scratch
COPY probe /probe
RUN --mount=type=ssh,required=true ["/probe", "ssh-keys", "/out/default.keys"]
RUN --mount=type=ssh,id=deploy,required=true ["/probe", "ssh-keys", "/out/deploy.keys"]
`)
	sock, agentFP := sshAgent(t)
	deployKey, deployFP := sshKey(t, t.TempDir(), "deploy-key")
	for name, builder := range sessionBuilders(t) {
		t.Run(name, func(t *testing.T) {
			dest := t.TempDir()
			args := append(append([]string{}, builder...), "probe", "--no-cache", "-o", "type=local,dest="+dest,
				"--ssh", "default", "--ssh", "deploy="+deployKey)
			r := sessionBuild(t, repo, []string{"SSH_AUTH_SOCK=" + sock}, args...)
			if r.code != 0 {
				t.Fatalf("monoctx build: exit %d\n%s", r.code, tail(r.stderr))
			}
			got := readDir(t, dest)
			for file, want := range map[string]string{"out/default.keys": agentFP + " agent-key", "out/deploy.keys": deployFP} {
				lines := strings.Split(strings.TrimSpace(string(got[file].Content)), "\n")
				if len(lines) != 1 || !strings.HasPrefix(lines[0], want) {
					t.Errorf("%s lists %q, want the one key %q", file, got[file].Content, want)
				}
			}

			without := sessionBuild(t, repo, nil, append(append([]string{}, builder...), "probe", "--no-cache", "-o", "type=local,dest="+t.TempDir())...)
			if without.code == 0 {
				t.Errorf("without --ssh the build succeeded; the required ssh mount proves nothing")
			}
		})
	}
}

// cachedSteps counts the steps a plain progress display reports as CACHED.
func cachedSteps(stderr []byte) int {
	n := 0
	for _, l := range strings.Split(string(stderr), "\n") {
		if strings.HasSuffix(l, " CACHED") {
			n++
		}
	}
	return n
}

// TestBuildKitRegistryCacheExportAndImport exports the cache of a build to a registry on
// loopback and pushes the image there, and pushes another app's image with an inline cache; then
// it builds both on a second buildkitd with a fresh state and the registry as the cache source:
// their COPY steps come from the registry. The first builds, on a fresh daemon without a cache
// source, had none cached.
func TestBuildKitRegistryCacheExportAndImport(t *testing.T) {
	reg := startRegistry(t)
	config := "[registry.\"" + reg + "\"]\n  http = true\n  insecure = true\n"
	repo := buildkitFixture(t, nil)
	ref := reg + "/monoctx-e2e/app:buildcache"

	first := startBuildkitd(t, buildkitdOptions{Config: config})
	r := bkBuild(t, repo, first, "app", "--cache-to", "type=registry,ref="+ref+",mode=max",
		"-o", "type=image,name="+reg+"/monoctx-e2e/app:1,push=true")
	if n := cachedSteps(r.stderr); n != 0 {
		t.Fatalf("the first build on a fresh buildkitd had %d cached steps; the test proves nothing:\n%s", n, tail(r.stderr))
	}
	if !registryHas(t, reg, "monoctx-e2e/app", "buildcache") {
		t.Fatalf("the registry has no cache manifest %s after --cache-to", ref)
	}
	if !registryHas(t, reg, "monoctx-e2e/app", "1") {
		t.Errorf("the registry has no image monoctx-e2e/app:1 after -o type=image,push=true")
	}

	// Inline cache: the cache metadata travels in the pushed image itself.
	inline := reg + "/monoctx-e2e/whole:inline"
	r = bkBuild(t, repo, first, "whole", "--cache-to", "type=inline", "-o", "type=image,name="+inline+",push=true")
	if n := cachedSteps(r.stderr); n != 0 {
		t.Fatalf("the first build of whole had %d cached steps; the test proves nothing:\n%s", n, tail(r.stderr))
	}

	second := startBuildkitd(t, buildkitdOptions{Config: config})
	r = bkBuild(t, repo, second, "app", "--cache-from", "type=registry,ref="+ref)
	if n := cachedSteps(r.stderr); n < 4 {
		t.Errorf("with the registry cache, a fresh buildkitd had %d steps cached, want the 4 COPY steps:\n%s", n, tail(r.stderr))
	}
	r = bkBuild(t, repo, second, "whole", "--cache-from", "type=registry,ref="+inline)
	if n := cachedSteps(r.stderr); n < 1 {
		t.Errorf("with the image's inline cache, a fresh buildkitd had %d steps cached, want its COPY step:\n%s", n, tail(r.stderr))
	}
}

// TestBuildKitOverTLS builds on a buildkitd that serves tcp:// with TLS and wants client
// certificates: with --tlscacert/--tlscert/--tlskey, with --tlsdir, and with BUILDKIT_HOST for
// the address. A CA that did not sign the server's certificate, a server name the certificate
// lacks, no client certificate, or no TLS at all fail with a message naming the option to fix.
func TestBuildKitOverTLS(t *testing.T) {
	certs := newTLSFiles(t)
	addr := startBuildkitd(t, buildkitdOptions{TLS: certs})
	repo := buildkitFixture(t, nil)
	files := []string{"--tlscacert", certs.CA, "--tlscert", certs.ClientCert, "--tlskey", certs.ClientKey}
	build := func(env []string, args ...string) result {
		return runCmd(t, repo, env, nil, append([]string{monoctxBin, "build", "whole", "--builder", "buildkit", "--progress", "plain"}, args...)...)
	}
	ok := func(name string, r result) {
		t.Helper()
		if r.code != 0 {
			t.Errorf("%s: exit %d\n%s", name, r.code, tail(r.stderr))
			return
		}
		if sent, _, _ := summaryOf(t, r.stderr, "whole"); sent <= 0 {
			t.Errorf("%s: transferred %.0f B, want the context", name, sent)
		}
	}
	dest := t.TempDir()
	ok("--tls* files", build(nil, append([]string{"--addr", addr, "-o", "type=local,dest=" + dest}, files...)...))
	if e := readDir(t, dest)["w/w.txt"]; string(e.Content) != "whole\n" {
		t.Errorf("w/w.txt = %q, want the app's file", e.Content)
	}
	// ca.pem, cert.pem and key.pem are the client's files in certs.Dir.
	ok("--tlsdir", build(nil, "--addr", addr, "--tlsdir", certs.Dir))
	ok("BUILDKIT_HOST", build([]string{"BUILDKIT_HOST=" + addr}, files...))
	ok("--tlsservername", build(nil, append([]string{"--addr", addr, "--tlsservername", "buildkitd.test"}, files...)...))

	wrong := newTLSFiles(t)
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"wrong CA", []string{"--tlscacert", wrong.CA, "--tlscert", certs.ClientCert, "--tlskey", certs.ClientKey},
			"its certificate is not signed by the CA in --tlscacert " + wrong.CA},
		{"server name", append([]string{"--tlsservername", "other.test"}, files...),
			`its certificate does not name "other.test": pass a name it carries with --tlsservername`},
		{"no client certificate", []string{"--tlscacert", certs.CA},
			// TLS 1.3 reports the refusal as an alert or as a closed connection, by timing.
			"wants a client certificate: pass --tlscert and --tlskey"},
		{"no TLS", nil, "if it serves TLS, pass --tlscacert, --tlscert and --tlskey (or --tlsdir)"},
		{"tlsdir and files", append([]string{"--tlsdir", certs.Dir}, files...), "--tlsdir and --tlscacert, --tlscert or --tlskey exclude each other"},
	} {
		r := build(nil, append([]string{"--addr", addr}, c.args...)...)
		if r.code == 0 || !bytes.Contains(r.stderr, []byte(c.want)) {
			t.Errorf("%s: exit %d, want a failure saying %q:\n%s", c.name, r.code, c.want, tail(r.stderr))
		}
		if bytes.Contains(r.stderr, []byte("context transferred")) {
			t.Errorf("%s: a build ran:\n%s", c.name, tail(r.stderr))
		}
	}
}

// TestDockerBuilderOverTLS builds with --builder docker on the private engine's TCP socket,
// which serves TLS and wants client certificates (scripts/with-dockerd): DOCKER_HOST,
// DOCKER_TLS_VERIFY and DOCKER_CERT_PATH as the docker CLI reads them reach the engine's
// BuildKit, and the image is loaded; so does a docker context (created with the docker CLI)
// named by DOCKER_CONTEXT or made current. Without DOCKER_TLS_VERIFY, or with another CA, it
// fails saying which variable to set.
func TestDockerBuilderOverTLS(t *testing.T) {
	c := dockerCLIs(t)[1]
	host, certPath := os.Getenv("MONOCTX_DOCKER_TLS_HOST"), os.Getenv("MONOCTX_DOCKER_CERT_PATH")
	if host == "" || certPath == "" {
		unavailable(t, "MONOCTX_DOCKER_TLS_HOST is not set (scripts/with-dockerd sets it when it starts a private dockerd)")
	}
	repo := buildkitFixture(t, nil)
	tag := newTag(t, "monoctx-e2e-tls", c.bin)
	build := func(env ...string) result {
		return runCmd(t, repo, append([]string{"DOCKER_BUILDKIT=1", "DOCKER_HOST=" + host}, env...), nil,
			monoctxBin, "build", "whole", "-t", tag, "--progress", "plain")
	}
	r := build("DOCKER_TLS_VERIFY=1", "DOCKER_CERT_PATH="+certPath)
	if r.code != 0 {
		t.Fatalf("monoctx build over TLS: exit %d\n%s", r.code, tail(r.stderr))
	}
	if sent, _, _ := summaryOf(t, r.stderr, "whole"); sent <= 0 {
		t.Errorf("transferred %.0f B, want the context", sent)
	}
	// The image is read back over the engine's unix socket, which the test environment names.
	if e := exportImage(t, c.bin, tag)["w/w.txt"]; string(e.Content) != "whole\n" {
		t.Errorf("w/w.txt in the image = %q, want the app's file", e.Content)
	}

	// A docker CLI context with the same endpoint and certificates, named by DOCKER_CONTEXT or
	// made current with docker context use; DOCKER_HOST is unset.
	cfgDir := t.TempDir()
	mustRun(t, repo, nil, nil, c.bin, "--config", cfgDir, "context", "create", "monoctx-e2e-tls", "--docker",
		"host="+host+",ca="+filepath.Join(certPath, "ca.pem")+",cert="+filepath.Join(certPath, "cert.pem")+",key="+filepath.Join(certPath, "key.pem"))
	removeImage(t, c.bin, tag)
	for _, env := range [][]string{{"DOCKER_CONTEXT=monoctx-e2e-tls"}, nil} {
		if env == nil {
			mustRun(t, repo, nil, nil, c.bin, "--config", cfgDir, "context", "use", "monoctx-e2e-tls")
		}
		r := build(append([]string{"DOCKER_HOST=", "DOCKER_CONFIG=" + cfgDir}, env...)...)
		if r.code != 0 {
			t.Fatalf("monoctx build with docker context (%q): exit %d\n%s", env, r.code, tail(r.stderr))
		}
		if e := exportImage(t, c.bin, tag)["w/w.txt"]; string(e.Content) != "whole\n" {
			t.Errorf("docker context (%q): w/w.txt in the image = %q, want the app's file", env, e.Content)
		}
		removeImage(t, c.bin, tag)
	}
	if r := build("DOCKER_HOST=", "DOCKER_CONFIG="+cfgDir, "DOCKER_CONTEXT=nosuch"); r.code == 0 || !bytes.Contains(r.stderr, []byte(`docker context "nosuch"`)) {
		t.Errorf("DOCKER_CONTEXT=nosuch: exit %d, want a failure naming the context:\n%s", r.code, tail(r.stderr))
	}

	wrong := newTLSFiles(t)
	for _, c := range []struct {
		name string
		env  []string
		want string
	}{
		{"no DOCKER_TLS_VERIFY", nil, "it serves TLS: set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH"},
		{"wrong CA", []string{"DOCKER_TLS_VERIFY=1", "DOCKER_CERT_PATH=" + wrong.Dir}, "its certificate is not signed by the CA in DOCKER_CERT_PATH's ca.pem"},
	} {
		r := build(c.env...)
		if r.code == 0 || !bytes.Contains(r.stderr, []byte(c.want)) {
			t.Errorf("%s: exit %d, want a failure saying %q:\n%s", c.name, r.code, c.want, tail(r.stderr))
		}
	}
}
