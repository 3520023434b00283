// Package auth embeds templates and assets.
package auth

import (
	"embed"

	"example.com/mono/pkg/token"
)

//go:embed templates static/*.css all:assets
var files embed.FS

// Check returns a token.
func Check() string { _ = files; return token.New() + platform() }
