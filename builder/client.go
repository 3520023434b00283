package builder

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
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
// --tlscert, --tlskey and --tlsservername.
type TLS struct {
	CACert, Cert, Key, ServerName string
}

// Connect connects to the buildkitd at addr (unix://, tcp://, docker-container://,
// podman-container://, kube-pod://, ssh://) and checks that it answers.
func Connect(ctx context.Context, addr string, tls TLS) (*Client, error) {
	if addr == "" {
		return nil, errors.New("no buildkitd address: pass --addr or set BUILDKIT_HOST (unix:///run/buildkit/buildkitd.sock, tcp://HOST:1234, docker-container://NAME, kube-pod://POD)")
	}
	var opts []client.ClientOpt
	if tls.CACert != "" {
		opts = append(opts, client.WithServerConfig(tls.ServerName, tls.CACert))
	} else if tls.ServerName != "" {
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
		return nil, errors.Join(fmt.Errorf("buildkitd at %s does not answer: %w; start it, or point --addr or BUILDKIT_HOST at a running one", addr, err), c.Close())
	}
	return bc, nil
}

// ConnectDocker connects to the BuildKit inside the Docker engine at host (a DOCKER_HOST value;
// "" is the default socket) through the engine's /grpc and /session endpoints, as buildx's
// docker driver does. Only unix:// and plain tcp:// engines are supported.
func ConnectDocker(ctx context.Context, host string) (*Client, error) {
	if host == "" {
		host = "unix:///var/run/docker.sock"
	}
	network, address, err := dockerAddr(host)
	if err != nil {
		return nil, err
	}
	dial := func(ctx context.Context, endpoint, proto string, meta map[string][]string) (net.Conn, error) {
		return dialHijack(ctx, network, address, endpoint, proto, meta)
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
		return nil, errors.Join(fmt.Errorf("the Docker engine at %s does not serve BuildKit over its API: %w; use DOCKER_BUILDKIT=0 for the tar stream", host, err), c.Close())
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
		return "", "", fmt.Errorf("DOCKER_HOST %q: --builder docker speaks to unix:// and tcp:// engines; for others use --builder buildkit with a buildkitd, or DOCKER_BUILDKIT=0", host)
	}
}

// dialHijack opens a connection to the engine and upgrades it on endpoint to proto: the
// connection then carries gRPC (/grpc) or the BuildKit session (/session) directly.
func dialHijack(ctx context.Context, network, address, endpoint, proto string, meta map[string][]string) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, address)
	if err != nil {
		return nil, fmt.Errorf("dialing the Docker engine: %w", err)
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
