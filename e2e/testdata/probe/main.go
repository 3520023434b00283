// Command probe runs inside FROM scratch test images, which have no shell: the e2e tests build it
// statically and copy it into a build context, and RUN steps call it to report what a build step
// saw.
//
//	probe sha256 SRC DEST    write the hex SHA-256 of SRC's content to DEST
//	probe ssh-keys DEST      list the identities of the agent at $SSH_AUTH_SOCK into DEST, one
//	                         "FINGERPRINT COMMENT" line each
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "probe:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	switch {
	case len(args) == 3 && args[0] == "sha256":
		data, err := os.ReadFile(args[1])
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		return write(args[2], hex.EncodeToString(sum[:])+"\n")
	case len(args) == 2 && args[0] == "ssh-keys":
		sock := os.Getenv("SSH_AUTH_SOCK")
		if sock == "" {
			return fmt.Errorf("SSH_AUTH_SOCK is not set")
		}
		conn, err := net.Dial("unix", sock)
		if err != nil {
			return err
		}
		defer conn.Close()
		keys, err := agent.NewClient(conn).List()
		if err != nil {
			return fmt.Errorf("listing the agent's keys: %w", err)
		}
		var b strings.Builder
		for _, k := range keys {
			fmt.Fprintf(&b, "%s %s\n", ssh.FingerprintSHA256(k), k.Comment)
		}
		return write(args[1], b.String())
	}
	return fmt.Errorf("usage: probe sha256 SRC DEST | probe ssh-keys DEST")
}

func write(dest, s string) error {
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dest, []byte(s), 0o644)
}
