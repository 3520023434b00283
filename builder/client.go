package builder

import (
	"bufio"
	"context"
	cryptotls "crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/moby/buildkit/client"
	// Connection helpers for BUILDKIT_HOST forms beyond unix:// and tcp://.
	_ "github.com/moby/buildkit/client/connhelper/dockercontainer"
	_ "github.com/moby/buildkit/client/connhelper/kubepod"
	_ "github.com/moby/buildkit/client/connhelper/podmancontainer"
	_ "github.com/moby/buildkit/client/connhelper/ssh"
)

// Client is a connection to a BuildKit daemon: a standalone buildkitd or a Docker engine's.
type Client struct {
	c      *client.Client
	engine bool
	addr   string
}

// TLS are the client certificate options for a tcp:// buildkitd, as buildctl's --tlscacert,
// --tlscert, --tlskey, --tlsservername and --tlsdir.
type TLS struct {
	CACert, Cert, Key, ServerName string
	// Dir holds ca.pem, cert.pem and key.pem (or ca.crt, tls.crt and tls.key), as buildctl's --tlsdir.
	Dir string
}

func (t TLS) set() bool { return t != TLS{} }

// resolve reads the files of Dir, as buildctl does; Dir excludes the file options.
func (t TLS) resolve() (TLS, error) {
	if t.Dir == "" {
		return t, nil
	}
	if t.CACert != "" || t.Cert != "" || t.Key != "" {
		return t, errors.New("--tlsdir and --tlscacert, --tlscert or --tlskey exclude each other: pass the directory or the files")
	}
	for _, names := range [][3]string{{"ca.pem", "cert.pem", "key.pem"}, {"ca.crt", "tls.crt", "tls.key"}} {
		var paths [3]string
		found := true
		for i, n := range names {
			paths[i] = filepath.Join(t.Dir, n)
			if _, err := os.Stat(paths[i]); err != nil {
				found = false
			}
		}
		if found {
			t.CACert, t.Cert, t.Key = paths[0], paths[1], paths[2]
			return t, nil
		}
	}
	return t, fmt.Errorf("--tlsdir %s holds neither ca.pem, cert.pem and key.pem nor ca.crt, tls.crt and tls.key", t.Dir)
}

// Connect connects to the buildkitd at addr (unix://, tcp://, docker-container://,
// podman-container://, kube-pod://, ssh://) and checks that it answers.
func Connect(ctx context.Context, addr string, tls TLS) (*Client, error) {
	if addr == "" {
		return nil, errors.New("no buildkitd address: pass --addr or set BUILDKIT_HOST (unix:///run/buildkit/buildkitd.sock, tcp://HOST:1234, docker-container://NAME, kube-pod://POD)")
	}
	tls, err := tls.resolve()
	if err != nil {
		return nil, err
	}
	if tls.set() && tls.ServerName == "" {
		// As buildctl: the certificate must name the host of the address.
		if u, err := url.Parse(addr); err == nil {
			tls.ServerName = u.Hostname()
		}
	}
	var opts []client.ClientOpt
	switch {
	case tls.CACert != "":
		opts = append(opts, client.WithServerConfig(tls.ServerName, tls.CACert))
	case tls.set():
		// A client certificate or a server name alone: the server's certificate is checked
		// against the system's CAs.
		opts = append(opts, client.WithServerConfigSystem(tls.ServerName))
	}
	if tls.Cert != "" || tls.Key != "" {
		if tls.Cert == "" || tls.Key == "" {
			return nil, errors.New("a TLS client certificate needs both --tlscert and --tlskey")
		}
		opts = append(opts, client.WithCredentials(tls.Cert, tls.Key))
	}
	c, err := client.New(ctx, addr, opts...)
	if err != nil {
		return nil, fmt.Errorf("connecting to buildkitd at %s: %w", addr, err)
	}
	bc := &Client{c: c, addr: addr}
	if err := bc.ping(ctx); err != nil {
		hint := tlsHint(err, addr, tls)
		if hint == "" {
			hint = "start it, or point --addr or BUILDKIT_HOST at a running one"
		}
		return nil, errors.Join(fmt.Errorf("buildkitd at %s does not answer: %w; %s", addr, err, hint), c.Close())
	}
	return bc, nil
}

// tlsHint says which TLS option a failed connection needs, "" when it does not look like TLS.
// gRPC reports handshake failures as text, so the text is what is matched.
func tlsHint(err error, addr string, t TLS) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "unknown authority"):
		if t.CACert == "" {
			return "its certificate is not signed by a CA this machine trusts: pass the CA that signed it with --tlscacert (or --tlsdir)"
		}
		return fmt.Sprintf("its certificate is not signed by the CA in --tlscacert %s: pass the CA that signed it", t.CACert)
	case strings.Contains(msg, "x509: certificate is valid for"):
		return fmt.Sprintf("its certificate does not name %q: pass a name it carries with --tlsservername", t.ServerName)
	case strings.Contains(msg, "certificate required") || strings.Contains(msg, "bad certificate"):
		if t.Cert == "" {
			return "it wants a client certificate: pass --tlscert and --tlskey (or --tlsdir)"
		}
		return fmt.Sprintf("it refused the client certificate %s: pass one signed by the CA it trusts", t.Cert)
	case t.set() && t.Cert == "" && (strings.Contains(msg, "broken pipe") || strings.Contains(msg, "connection reset") || strings.Contains(msg, "EOF")):
		// TLS 1.3 servers refuse a missing client certificate after the client's side of the
		// handshake is done: the client sees the connection closed, not the alert.
		return "it closed the connection after the TLS handshake, as buildkitd does when it wants a client certificate: pass --tlscert and --tlskey (or --tlsdir)"
	case !t.set() && strings.HasPrefix(addr, "tcp://") && (strings.Contains(msg, "server preface") || strings.Contains(msg, "http2") || strings.Contains(msg, "EOF")):
		return "if it serves TLS, pass --tlscacert, --tlscert and --tlskey (or --tlsdir)"
	}
	return ""
}

// DockerEnv is how the docker CLI's environment says to reach the engine.
type DockerEnv struct {
	// Host is DOCKER_HOST; "" is the default socket.
	Host string
	// TLSVerify (DOCKER_TLS_VERIFY set) uses TLS and checks the engine's certificate against
	// CertPath's ca.pem; TLS (DOCKER_TLS set) uses TLS without checking it.
	TLSVerify, TLS bool
	// CertPath is DOCKER_CERT_PATH, the directory of ca.pem, cert.pem and key.pem; "" is ~/.docker.
	CertPath string
}

// tlsConfig is the docker CLI's TLS configuration for the environment, nil without TLS. As the
// CLI does, a file of the certificate directory that is missing is not used.
func (e DockerEnv) tlsConfig() (*cryptotls.Config, error) {
	if !e.TLSVerify && !e.TLS {
		return nil, nil
	}
	dir := e.CertPath
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, fmt.Errorf("DOCKER_CERT_PATH is not set and there is no home directory: %w", err)
		}
		dir = filepath.Join(home, ".docker")
	}
	exists := func(name string) (string, bool) {
		p := filepath.Join(dir, name)
		_, err := os.Stat(p)
		return p, err == nil
	}
	cfg := &cryptotls.Config{MinVersion: cryptotls.VersionTLS12, InsecureSkipVerify: !e.TLSVerify} //nolint:gosec // DOCKER_TLS without DOCKER_TLS_VERIFY means exactly this
	if ca, ok := exists("ca.pem"); ok && e.TLSVerify {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return nil, fmt.Errorf("reading the engine's CA: %w", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s holds no PEM certificate", ca)
		}
	}
	cert, certOK := exists("cert.pem")
	key, keyOK := exists("key.pem")
	if certOK && keyOK {
		pair, err := cryptotls.LoadX509KeyPair(cert, key)
		if err != nil {
			return nil, fmt.Errorf("reading the client certificate in %s: %w", dir, err)
		}
		cfg.Certificates = []cryptotls.Certificate{pair}
	}
	return cfg, nil
}

// ConnectDocker connects to the BuildKit inside the Docker engine that env names through the
// engine's /grpc and /session endpoints, as buildx's docker driver does. unix:// and tcp://
// engines are supported, tcp:// with the docker CLI's DOCKER_TLS_VERIFY, DOCKER_TLS and
// DOCKER_CERT_PATH.
func ConnectDocker(ctx context.Context, env DockerEnv) (*Client, error) {
	host := env.Host
	if host == "" {
		host = "unix:///var/run/docker.sock"
	}
	network, address, err := dockerAddr(host)
	if err != nil {
		return nil, err
	}
	var tlsCfg *cryptotls.Config
	if network == "tcp" {
		if tlsCfg, err = env.tlsConfig(); err != nil {
			return nil, err
		}
		if tlsCfg != nil {
			host, _, _ := net.SplitHostPort(address)
			tlsCfg.ServerName = host
		}
	}
	dial := func(ctx context.Context, endpoint, proto string, meta map[string][]string) (net.Conn, error) {
		return dialHijack(ctx, network, address, tlsCfg, endpoint, proto, meta)
	}
	c, err := client.New(ctx, "",
		client.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			return dial(ctx, "/grpc", "h2c", nil)
		}),
		client.WithSessionDialer(func(ctx context.Context, proto string, meta map[string][]string) (net.Conn, error) {
			return dial(ctx, "/session", proto, meta)
		}))
	if err != nil {
		return nil, fmt.Errorf("connecting to the Docker engine's BuildKit at %s: %w", host, err)
	}
	bc := &Client{c: c, engine: true, addr: host}
	if err := bc.ping(ctx); err != nil {
		hint := "use DOCKER_BUILDKIT=0 for the tar stream"
		msg := err.Error()
		switch {
		case tlsCfg == nil && strings.Contains(msg, "HTTP request to an HTTPS server"):
			hint = "it serves TLS: set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH to the directory of its ca.pem, cert.pem and key.pem"
		case strings.Contains(msg, "unknown authority"):
			hint = "its certificate is not signed by the CA in DOCKER_CERT_PATH's ca.pem: point DOCKER_CERT_PATH at the engine's client certificates"
		case strings.Contains(msg, "x509:"):
			hint = "its certificate does not check out against DOCKER_CERT_PATH: point DOCKER_CERT_PATH at the engine's client certificates"
		case strings.Contains(msg, "certificate required") || strings.Contains(msg, "bad certificate"):
			hint = "it wants a client certificate: put cert.pem and key.pem in DOCKER_CERT_PATH"
		}
		return nil, errors.Join(fmt.Errorf("the Docker engine at %s does not serve BuildKit over its API: %w; %s", host, err, hint), c.Close())
	}
	return bc, nil
}

// Close closes the connection.
func (c *Client) Close() error { return c.c.Close() }

// Addr is the address the client was opened with.
func (c *Client) Addr() string { return c.addr }

func (c *Client) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ws, err := c.c.ListWorkers(ctx)
	if err != nil {
		return err
	}
	if len(ws) == 0 {
		return errors.New("it has no workers")
	}
	return nil
}

func dockerAddr(host string) (network, address string, err error) {
	u, err := url.Parse(host)
	if err != nil {
		return "", "", fmt.Errorf("DOCKER_HOST %q: %w", host, err)
	}
	switch u.Scheme {
	case "unix":
		return "unix", u.Path, nil
	case "tcp":
		return "tcp", u.Host, nil
	default:
		return "", "", fmt.Errorf("DOCKER_HOST %q: --builder docker speaks to unix:// and tcp:// engines; for others (ssh://, npipe://) use --builder buildkit with a buildkitd, or DOCKER_BUILDKIT=0", host)
	}
}

// dialHijack opens a connection to the engine and upgrades it on endpoint to proto: the
// connection then carries gRPC (/grpc) or the BuildKit session (/session) directly.
func dialHijack(ctx context.Context, network, address string, tlsCfg *cryptotls.Config, endpoint, proto string, meta map[string][]string) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, address)
	if err != nil {
		return nil, fmt.Errorf("dialing the Docker engine: %w", err)
	}
	if tlsCfg != nil {
		tc := cryptotls.Client(conn, tlsCfg.Clone())
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, errors.Join(fmt.Errorf("TLS handshake with the Docker engine: %w", err), conn.Close())
		}
		conn = tc
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://docker"+endpoint, nil)
	if err != nil {
		return nil, errors.Join(err, conn.Close())
	}
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", proto)
	for k, v := range meta {
		req.Header[k] = v
	}
	if dl, ok := ctx.Deadline(); ok {
		if err := conn.SetDeadline(dl); err != nil {
			return nil, errors.Join(err, conn.Close())
		}
	}
	if err := req.Write(conn); err != nil {
		return nil, errors.Join(fmt.Errorf("POST %s: %w", endpoint, err), conn.Close())
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("POST %s: %w", endpoint, err), conn.Close())
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		body, rerr := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return nil, errors.Join(fmt.Errorf("POST %s: %s %s", endpoint, resp.Status, strings.TrimSpace(string(body))), rerr, resp.Body.Close(), conn.Close())
	}
	if err := conn.SetDeadline(time.Time{}); err != nil {
		return nil, errors.Join(err, conn.Close())
	}
	return &bufConn{Conn: conn, r: br}, nil
}

// bufConn reads first what the HTTP response reader buffered past the upgrade.
type bufConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufConn) Read(p []byte) (int, error) { return c.r.Read(p) }
