package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Daemons the tests start themselves: a buildkitd with its own state, address and configuration
// (TLS, a fresh cache, an insecure registry), a registry on loopback, an ssh-agent. Each is stopped
// when its test ends.

// freePort is a loopback TCP port nothing listens on now.
func freePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startProcess starts argv with its output in logFile and stops it (SIGTERM, then SIGKILL after
// 10 s) when the test ends.
func startProcess(tb testing.TB, logFile string, env []string, argv ...string) *exec.Cmd {
	tb.Helper()
	log, err := os.Create(logFile)
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		tb.Fatalf("starting %s: %v", argv[0], err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }() //nolint:errcheck // a stopped daemon exits non-zero
	tb.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM) //nolint:errcheck // it may have exited
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill() //nolint:errcheck
			<-done
		}
		log.Close()
	})
	return cmd
}

// waitFor polls ready until it is true, failing the test with the log's tail after a minute.
func waitFor(tb testing.TB, what, logFile string, ready func() bool) {
	tb.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !ready() {
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(logFile)
			tb.Fatalf("%s did not come up within 60s; its log:\n%s", what, tail(b))
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// buildkitdOptions configure a buildkitd a test starts.
type buildkitdOptions struct {
	// Config is buildkitd.toml's content.
	Config string
	// TLS serves tcp:// with these certificates (the CA is the one clients must be signed by).
	TLS *tlsFiles
}

// startBuildkitd starts a buildkitd on a loopback tcp:// address with a fresh state (its own
// root), as scripts/with-buildkitd does (OCI worker, runc, native snapshotter), and returns its
// address. It needs root and MONOCTX_BUILDKITD.
func startBuildkitd(t *testing.T, o buildkitdOptions) string {
	t.Helper()
	_, buildctl := requireBuildkitd(t)
	bin := os.Getenv("MONOCTX_BUILDKITD")
	if bin == "" {
		unavailable(t, "MONOCTX_BUILDKITD is not set (scripts/with-buildkitd sets it)")
	}
	if os.Geteuid() != 0 {
		unavailable(t, "starting a buildkitd needs root")
	}
	runc, err := exec.LookPath("runc")
	if err != nil {
		unavailable(t, "runc is not on PATH")
	}
	dir := t.TempDir()
	addr := fmt.Sprintf("tcp://127.0.0.1:%d", freePort(t))
	argv := []string{bin, "--root", filepath.Join(dir, "root"), "--addr", addr,
		"--oci-worker=true", "--containerd-worker=false", "--oci-worker-snapshotter=native",
		"--oci-worker-binary=" + runc, "--oci-worker-net=host"}
	if o.Config != "" {
		cfg := filepath.Join(dir, "buildkitd.toml")
		writeFile(t, cfg, o.Config)
		argv = append(argv, "--config", cfg)
	}
	check := []string{buildctl, "--addr", addr}
	if o.TLS != nil {
		argv = append(argv, "--tlscacert", o.TLS.CA, "--tlscert", o.TLS.ServerCert, "--tlskey", o.TLS.ServerKey)
		check = append(check, "--tlscacert", o.TLS.CA, "--tlscert", o.TLS.ClientCert, "--tlskey", o.TLS.ClientKey)
	}
	logFile := filepath.Join(dir, "buildkitd.log")
	startProcess(t, logFile, nil, argv...)
	t.Cleanup(func() { unmountBelow(t, dir) })
	waitFor(t, "buildkitd", logFile, func() bool {
		return runCmd(t, "", nil, nil, append(check, "debug", "workers")...).code == 0
	})
	return addr
}

// unmountBelow unmounts what a stopped daemon may have left mounted below dir, so that the
// temp dir can be removed.
func unmountBelow(tb testing.TB, dir string) {
	tb.Helper()
	data, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		return
	}
	var mounts []string
	for _, l := range strings.Split(string(data), "\n") {
		if f := strings.Fields(l); len(f) > 1 && strings.HasPrefix(f[1], dir+"/") {
			mounts = append(mounts, f[1])
		}
	}
	for i := len(mounts) - 1; i >= 0; i-- {
		syscall.Unmount(mounts[i], syscall.MNT_DETACH) //nolint:errcheck // best effort before removal
	}
}

// startRegistry starts the distribution registry (MONOCTX_REGISTRY) on loopback with its storage
// in a temp dir and returns its host:port.
func startRegistry(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("MONOCTX_REGISTRY")
	if bin == "" {
		unavailable(t, "MONOCTX_REGISTRY is not set (scripts/with-buildkitd builds the registry)")
	}
	dir := t.TempDir()
	host := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cfg := filepath.Join(dir, "config.yml")
	writeFile(t, cfg, fmt.Sprintf("version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: %s\n",
		filepath.Join(dir, "data"), host))
	logFile := filepath.Join(dir, "registry.log")
	startProcess(t, logFile, nil, bin, "serve", cfg)
	waitFor(t, "registry", logFile, func() bool {
		resp, err := http.Get("http://" + host + "/v2/")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return host
}

// registryHas reports whether the registry at host serves a manifest for repo:tag.
func registryHas(t *testing.T, host, repo, tag string) bool {
	t.Helper()
	req, err := http.NewRequest(http.MethodHead, "http://"+host+"/v2/"+repo+"/manifests/"+tag, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", strings.Join([]string{"application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json",
		"application/vnd.docker.distribution.manifest.v2+json", "application/vnd.docker.distribution.manifest.list.v2+json"}, ", "))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// tlsFiles are PEM files of a CA, a server certificate for 127.0.0.1 and "buildkitd.test", and a
// client certificate, all signed by the CA.
type tlsFiles struct {
	Dir                   string
	CA                    string
	ServerCert, ServerKey string
	ClientCert, ClientKey string
}

// newTLSFiles generates a CA and the certificates it signs into a fresh directory.
func newTLSFiles(tb testing.TB) *tlsFiles {
	tb.Helper()
	dir := tb.TempDir()
	f := &tlsFiles{Dir: dir, CA: filepath.Join(dir, "ca.pem"),
		ServerCert: filepath.Join(dir, "server-cert.pem"), ServerKey: filepath.Join(dir, "server-key.pem"),
		ClientCert: filepath.Join(dir, "cert.pem"), ClientKey: filepath.Join(dir, "key.pem")}
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			tb.Fatal(err)
		}
		return k
	}
	serial := int64(0)
	template := func(cn string) *x509.Certificate {
		serial++
		return &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	}
	writePEM := func(p, typ string, der []byte) {
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			tb.Fatal(err)
		}
	}
	caKey := newKey()
	caT := template("monoctx e2e CA")
	caT.IsCA, caT.BasicConstraintsValid = true, true
	caT.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature
	caDER, err := x509.CreateCertificate(rand.Reader, caT, caT, &caKey.PublicKey, caKey)
	if err != nil {
		tb.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		tb.Fatal(err)
	}
	writePEM(f.CA, "CERTIFICATE", caDER)
	issue := func(t *x509.Certificate, certPath, keyPath string) {
		k := newKey()
		t.KeyUsage = x509.KeyUsageDigitalSignature
		der, err := x509.CreateCertificate(rand.Reader, t, ca, &k.PublicKey, caKey)
		if err != nil {
			tb.Fatal(err)
		}
		kder, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			tb.Fatal(err)
		}
		writePEM(certPath, "CERTIFICATE", der)
		writePEM(keyPath, "EC PRIVATE KEY", kder)
	}
	srv := template("buildkitd.test")
	srv.DNSNames, srv.IPAddresses = []string{"buildkitd.test"}, []net.IP{net.IPv4(127, 0, 0, 1)}
	srv.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	issue(srv, f.ServerCert, f.ServerKey)
	cli := template("monoctx e2e client")
	cli.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	issue(cli, f.ClientCert, f.ClientKey)
	return f
}

// probeOnce builds testdata/probe once per test binary.
var probeOnce struct {
	sync.Once
	path string
	err  error
}

// probeBin is a static build of testdata/probe, which RUN steps of FROM scratch images call.
func probeBin(tb testing.TB) string {
	tb.Helper()
	probeOnce.Do(func() {
		probeOnce.path = filepath.Join(filepath.Dir(monoctxBin), "probe")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", probeOnce.path, "./testdata/probe")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			probeOnce.err = fmt.Errorf("building testdata/probe: %v\n%s", err, out)
		}
	})
	if probeOnce.err != nil {
		tb.Fatal(probeOnce.err)
	}
	return probeOnce.path
}

// probeFixture is a git repository with one app, "probe", whose context apps/probe holds the
// probe binary and the Dockerfile given.
func probeFixture(t *testing.T, dockerfile string) string {
	t.Helper()
	repo := t.TempDir()
	writeFile(t, filepath.Join(repo, "monoctx.yaml"), "apps:\n  probe:\n    dockerfile: apps/probe/Dockerfile\n    context: apps/probe\n")
	writeFile(t, filepath.Join(repo, "apps", "probe", "Dockerfile"), dockerfile)
	data, err := os.ReadFile(probeBin(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, "apps", "probe", "probe"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	gitInit(t, repo)
	return repo
}

// sshAgent starts an OpenSSH agent on a socket in a temp dir holding one new ed25519 key; it
// returns the socket and the key's SHA256 fingerprint.
func sshAgent(t *testing.T) (sock, fingerprint string) {
	t.Helper()
	for _, tool := range []string{"ssh-agent", "ssh-add", "ssh-keygen"} {
		if _, err := exec.LookPath(tool); err != nil {
			unavailable(t, "%s is not on PATH (Debian's openssh-client)", tool)
		}
	}
	dir, err := os.MkdirTemp("", "agent") // short: unix socket paths are limited to 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock = filepath.Join(dir, "agent.sock")
	logFile := filepath.Join(dir, "agent.log")
	startProcess(t, logFile, nil, "ssh-agent", "-D", "-a", sock)
	waitFor(t, "ssh-agent", logFile, func() bool { _, err := os.Stat(sock); return err == nil })
	key, fp := sshKey(t, dir, "agent-key")
	mustRun(t, dir, []string{"SSH_AUTH_SOCK=" + sock}, nil, "ssh-add", key)
	return sock, fp
}

// sshKey generates an unencrypted ed25519 key in dir and returns its path and SHA256 fingerprint.
func sshKey(t *testing.T, dir, name string) (key, fingerprint string) {
	t.Helper()
	key = filepath.Join(dir, name)
	mustRun(t, dir, nil, nil, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", key)
	// "256 SHA256:… comment (ED25519)"
	f := strings.Fields(string(mustRun(t, dir, nil, nil, "ssh-keygen", "-l", "-E", "sha256", "-f", key+".pub")))
	if len(f) < 2 || !strings.HasPrefix(f[1], "SHA256:") {
		t.Fatalf("ssh-keygen -l printed %q", f)
	}
	return key, f[1]
}
