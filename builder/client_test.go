package builder

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestTLSResolveReadsBuildctlsFileNames(t *testing.T) {
	for _, names := range [][3]string{{"ca.pem", "cert.pem", "key.pem"}, {"ca.crt", "tls.crt", "tls.key"}} {
		dir := t.TempDir()
		writeTree(t, dir, names[:]...)
		got, err := TLS{Dir: dir, ServerName: "bk"}.resolve()
		if err != nil {
			t.Fatal(err)
		}
		want := TLS{Dir: dir, ServerName: "bk", CACert: filepath.Join(dir, names[0]), Cert: filepath.Join(dir, names[1]), Key: filepath.Join(dir, names[2])}
		if got != want {
			t.Errorf("resolve(%v) = %+v, want %+v", names, got, want)
		}
	}
}

func TestTLSResolveRefusesAnIncompleteDirAndMixedOptions(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, "ca.pem", "cert.pem", "tls.key") // neither set complete
	if _, err := (TLS{Dir: dir}).resolve(); err == nil || !strings.Contains(err.Error(), "holds neither ca.pem, cert.pem and key.pem nor ca.crt, tls.crt and tls.key") {
		t.Errorf("incomplete dir: %v", err)
	}
	if _, err := (TLS{Dir: dir, CACert: "ca.pem"}).resolve(); err == nil || !strings.Contains(err.Error(), "exclude each other") {
		t.Errorf("--tlsdir with --tlscacert: %v", err)
	}
	if got, err := (TLS{CACert: "x"}).resolve(); err != nil || got != (TLS{CACert: "x"}) {
		t.Errorf("no dir: %+v, %v; want the options unchanged", got, err)
	}
}

func TestTLSHintNamesTheOptionToFix(t *testing.T) {
	withCA := TLS{CACert: "/c/ca.pem", ServerName: "127.0.0.1"}
	full := TLS{CACert: "/c/ca.pem", Cert: "/c/cert.pem", Key: "/c/key.pem", ServerName: "127.0.0.1"}
	for _, c := range []struct {
		msg  string
		addr string
		tls  TLS
		want string
	}{
		{`transport: authentication handshake failed: tls: failed to verify certificate: x509: certificate signed by unknown authority`, "tcp://h:1", full,
			"not signed by the CA in --tlscacert /c/ca.pem"},
		{`x509: certificate signed by unknown authority`, "tcp://h:1", TLS{Cert: "c", Key: "k"}, "pass the CA that signed it with --tlscacert"},
		{`tls: failed to verify certificate: x509: certificate is valid for buildkitd.test, 127.0.0.1, not other.test`, "tcp://h:1", TLS{CACert: "ca", ServerName: "other.test"},
			`does not name "other.test": pass a name it carries with --tlsservername`},
		{`remote error: tls: certificate required`, "tcp://h:1", withCA, "wants a client certificate: pass --tlscert and --tlskey"},
		{`remote error: tls: bad certificate`, "tcp://h:1", full, "refused the client certificate /c/cert.pem"},
		{`write tcp 127.0.0.1:1->127.0.0.1:2: write: broken pipe`, "tcp://h:1", withCA, "closed the connection after the TLS handshake, as buildkitd does when it wants a client certificate: pass --tlscert and --tlskey"},
		{`connection error: desc = "error reading server preface: EOF"`, "tcp://h:1", TLS{}, "if it serves TLS, pass --tlscacert"},
		{`connection error: desc = "error reading server preface: EOF"`, "unix:///x.sock", TLS{}, ""},
		{`connection refused`, "tcp://h:1", full, ""},
	} {
		if got := tlsHint(errors.New(c.msg), c.addr, c.tls); (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("tlsHint(%q, %s, %+v) = %q, want one saying %q", c.msg, c.addr, c.tls, got, c.want)
		}
	}
}

// writeCertPath writes ca.pem, cert.pem and key.pem as DOCKER_CERT_PATH holds them (the client
// certificate is the self-signed CA itself: enough to load) and returns the CA.
func writeCertPath(t *testing.T, dir string) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string]*pem.Block{"ca.pem": {Type: "CERTIFICATE", Bytes: der}, "cert.pem": {Type: "CERTIFICATE", Bytes: der},
		"key.pem": {Type: "EC PRIVATE KEY", Bytes: kder}} {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(b), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func TestDockerEnvTLSConfigAsTheDockerCLIReadsIt(t *testing.T) {
	if cfg, err := (DockerEnv{Host: "tcp://h:2376"}).tlsConfig(); cfg != nil || err != nil {
		t.Errorf("no TLS variables: %v, %v; want no TLS", cfg, err)
	}

	dir := t.TempDir()
	ca := writeCertPath(t, dir)
	cfg, err := DockerEnv{TLSVerify: true, CertPath: dir}.tlsConfig()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.InsecureSkipVerify || cfg.RootCAs == nil || len(cfg.Certificates) != 1 {
		t.Fatalf("DOCKER_TLS_VERIFY: skip verify %v, roots %v, %d client certificates; want verification against ca.pem and the client certificate",
			cfg.InsecureSkipVerify, cfg.RootCAs, len(cfg.Certificates))
	}
	if _, err := ca.Verify(x509.VerifyOptions{Roots: cfg.RootCAs}); err != nil {
		t.Errorf("the roots do not hold ca.pem: %v", err)
	}

	cfg, err = DockerEnv{TLS: true, CertPath: dir}.tlsConfig()
	if err != nil || !cfg.InsecureSkipVerify || len(cfg.Certificates) != 1 {
		t.Errorf("DOCKER_TLS alone: %+v, %v; want TLS without verification, with the client certificate", cfg, err)
	}

	// As the CLI: files that are missing are not used (the system's CAs, no client certificate).
	cfg, err = DockerEnv{TLSVerify: true, CertPath: t.TempDir()}.tlsConfig()
	if err != nil || cfg.RootCAs != nil || len(cfg.Certificates) != 0 || cfg.InsecureSkipVerify {
		t.Errorf("empty DOCKER_CERT_PATH: %+v, %v; want verification against the system's CAs", cfg, err)
	}

	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "ca.pem"), []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := (DockerEnv{TLSVerify: true, CertPath: bad}).tlsConfig(); err == nil || !strings.Contains(err.Error(), "holds no PEM certificate") {
		t.Errorf("bad ca.pem: %v", err)
	}
}

func TestParseFlagsNetwork(t *testing.T) {
	for _, n := range []string{"", "default", "none", "host"} {
		o, err := ParseFlags(Flags{Network: n})
		if err != nil {
			t.Fatalf("--network %q: %v", n, err)
		}
		if want := map[string]string{"": "", "default": "", "none": "none", "host": "host"}[n]; o.Network != want {
			t.Errorf("--network %q: Network %q, want %q", n, o.Network, want)
		}
	}
	if _, err := ParseFlags(Flags{Network: "bridge"}); err == nil || !strings.Contains(err.Error(), `unknown --network "bridge" (want default, none or host)`) {
		t.Errorf("--network bridge: %v", err)
	}
}
